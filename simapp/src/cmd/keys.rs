//! `depind keys ...`: the local keyring (BIP39 mnemonics, coin type 118).

use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::keyring::{Backend, KeyInfo, Keyring};

use super::{Context, Output};

#[derive(Args, Clone)]
pub struct KeyringFlags {
    /// test (plain files, for localnets and tests) or file (encrypted; passphrase from
    /// DEPIND_KEYRING_PASSPHRASE).
    #[arg(long, default_value = "test")]
    pub keyring_backend: String,
}

#[derive(Subcommand)]
pub enum KeysCmd {
    /// Create a key (a new mnemonic, printed once), or recover one with --recover.
    Add {
        /// The key's name in the keyring (up to 64 characters).
        name: String,
        /// Read a mnemonic from standard input instead of creating one.
        #[arg(long)]
        recover: bool,
        /// Replace a key of the same name (its old private key is lost).
        #[arg(long)]
        overwrite: bool,
        #[command(flatten)]
        flags: KeyringFlags,
    },
    /// List every key in the keyring: name, address and public key.
    List {
        #[command(flatten)]
        flags: KeyringFlags,
    },
    /// Show a key's address and public key.
    Show {
        /// The key's name in the keyring, or its bech32 address (depin1...).
        name: String,
        /// Print only the address.
        #[arg(long, short = 'a')]
        address: bool,
        #[command(flatten)]
        flags: KeyringFlags,
    },
    /// Print the private key as hex (keep it secret): needs --unarmored-hex --unsafe.
    Export {
        /// The key's name in the keyring, or its bech32 address (depin1...).
        name: String,
        /// Print the raw 32-byte secp256k1 private key as hex (required).
        #[arg(long)]
        unarmored_hex: bool,
        /// Confirm that the private key may be printed in clear (required).
        #[arg(long = "unsafe")]
        unsafe_: bool,
        #[command(flatten)]
        flags: KeyringFlags,
    },
    /// Import a private key given on standard input as hex (32-byte secp256k1 scalar).
    Import {
        /// The name to keep the key under.
        name: String,
        /// Replace a key of the same name (its old private key is lost).
        #[arg(long)]
        overwrite: bool,
        #[command(flatten)]
        flags: KeyringFlags,
    },
    /// Delete a key from the keyring (only its mnemonic or an exported private key brings it
    /// back).
    Delete {
        /// The key's name in the keyring.
        name: String,
        /// Confirm the deletion (required: depind does not ask).
        #[arg(long, short = 'y')]
        yes: bool,
        #[command(flatten)]
        flags: KeyringFlags,
    },
}

fn open(ctx: &Context, flags: &KeyringFlags) -> Result<Keyring> {
    Keyring::open(
        &ctx.home,
        Backend::parse(&flags.keyring_backend)?,
        crate::ADDRESS_PREFIX,
        std::env::var("DEPIND_KEYRING_PASSPHRASE").ok(),
    )
}

fn info_json(k: &KeyInfo) -> serde_json::Value {
    json!({
        "name": k.name,
        "type": "local",
        "address": k.address,
        "pubkey": json!({ "@type": depin_app::tx::SECP256K1_PUBKEY_TYPE_URL, "key": k.pubkey }).to_string(),
    })
}

fn read_stdin_line(what: &str) -> Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let line = line.trim().to_string();
    if line.is_empty() {
        bail!("expected {what} on standard input");
    }
    Ok(line)
}

pub fn run(ctx: &Context, cmd: KeysCmd) -> Result<()> {
    match cmd {
        KeysCmd::Add {
            name,
            recover,
            overwrite,
            flags,
        } => {
            let keyring = open(ctx, &flags)?;
            let given = if recover {
                Some(read_stdin_line("a BIP39 mnemonic")?)
            } else {
                None
            };
            let (info, mnemonic) = keyring.add(&name, given.as_deref(), overwrite)?;
            let mut out = info_json(&info);
            if !recover {
                out["mnemonic"] = json!(mnemonic);
                if ctx.output == Output::Text {
                    eprintln!(
                        "**Write this mnemonic down: it is the only way to recover the key.**"
                    );
                }
            }
            ctx.print(&out);
        }
        KeysCmd::List { flags } => {
            let keys = open(ctx, &flags)?.list()?;
            ctx.print(&json!(keys.iter().map(info_json).collect::<Vec<_>>()));
        }
        KeysCmd::Show {
            name,
            address,
            flags,
        } => {
            let info = open(ctx, &flags)?.show(&name)?;
            if address && ctx.output == Output::Text {
                super::write_stdout(&format!("{}\n", info.address));
            } else if address {
                ctx.print(&json!({ "address": info.address }));
            } else {
                ctx.print(&info_json(&info));
            }
        }
        KeysCmd::Export {
            name,
            unarmored_hex,
            unsafe_,
            flags,
        } => {
            if !(unarmored_hex && unsafe_) {
                bail!("exporting a private key needs --unarmored-hex --unsafe: it prints the key in clear");
            }
            let hex_key = open(ctx, &flags)?.export_hex(&name)?;
            match ctx.output {
                Output::Text => super::write_stdout(&format!("{hex_key}\n")),
                Output::Json => ctx.print(&json!({ "name": name, "private_key": hex_key })),
            }
        }
        KeysCmd::Import {
            name,
            overwrite,
            flags,
        } => {
            let hex_key = read_stdin_line("a hex private key")?;
            let info = open(ctx, &flags)?.import_hex(&name, &hex_key, overwrite)?;
            ctx.print(&info_json(&info));
        }
        KeysCmd::Delete { name, yes, flags } => {
            if !yes {
                bail!("deleting key {name} cannot be undone: pass --yes");
            }
            open(ctx, &flags)?.delete(&name)?;
            ctx.print(&json!({ "deleted": name }));
        }
    }
    Ok(())
}
