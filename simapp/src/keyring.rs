//! The key store of the `depind` CLI, like the Cosmos SDK keyring.
//!
//! Each key is one file, `<name>.json`, in a directory under the node home:
//! - `keyring-test/`: the key record as plain JSON. For localnets and tests only.
//! - `keyring-file/`: the key record sealed with XChaCha20-Poly1305 under a key derived from
//!   the passphrase by scrypt; the salt, the scrypt parameters and the nonce sit in the file
//!   beside the ciphertext. `passphrase.check` (a sealed known text) lets `open` tell a wrong
//!   passphrase at once instead of at the first key read.
//!
//! A record holds the secp256k1 private key, not the mnemonic: like the Cosmos SDK, the
//! mnemonic is shown once by `add` and the user keeps it. Addresses are not stored either:
//! they are computed from the public key with the prefix the keyring was opened with.

use std::fmt;
use std::fs;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use cosmrs::bip32::{DerivationPath, XPrv};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::AccountId;
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

/// The HD path keys are derived at: coin type 118, as Cosmos wallets (Keplr, cosmjs) derive.
pub const HD_PATH: &str = "m/44'/118'/0'/0/0";

/// Longest bech32 human-readable part.
const MAX_PREFIX_LEN: usize = 83;
/// Longest key name accepted.
const MAX_NAME_LEN: usize = 64;
/// A key record is a few hundred bytes; anything much larger is not one of ours.
const MAX_KEY_FILE_LEN: u64 = 64 * 1024;
const KEY_FILE_EXTENSION: &str = "json";
/// Not `*.json`, so it can never be taken for a key file.
const PASSPHRASE_CHECK_FILE: &str = "passphrase.check";
const PASSPHRASE_CHECK_TEXT: &[u8] = b"depind keyring passphrase check";
const SEALED_FORMAT_VERSION: u32 = 1;
const ALGO_SECP256K1: &str = "secp256k1";
const KEY_LEN: usize = 32;
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
/// Upper bounds on the scrypt parameters read from a file, so an altered file cannot make a
/// read take minutes or gigabytes (log_n 20 with r 8 is already 1 GiB).
const MAX_SCRYPT_LOG_N: u8 = 20;
const MAX_SCRYPT_R: u32 = 32;
const MAX_SCRYPT_P: u32 = 16;

/// Where and how keys are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Plain JSON files under `<home>/keyring-test/`: anyone who can read the files has the keys.
    Test,
    /// Passphrase-encrypted files under `<home>/keyring-file/`.
    File,
}

impl Backend {
    /// Parses the `--keyring-backend` value: `test` or `file`.
    pub fn parse(s: &str) -> anyhow::Result<Backend> {
        match s {
            "test" => Ok(Backend::Test),
            "file" => Ok(Backend::File),
            other => bail!("unknown keyring backend '{other}'; expected `test` or `file`"),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Test => "test",
            Backend::File => "file",
        }
    }

    fn dir_name(self) -> &'static str {
        match self {
            Backend::Test => "keyring-test",
            Backend::File => "keyring-file",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What `keys show` / `keys list` print: never anything secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    pub name: String,
    /// Bech32 account address with the keyring's prefix.
    pub address: String,
    /// Base64 of the 33-byte compressed secp256k1 public key.
    pub pubkey: String,
}

/// The key store. Every call reads or writes the files directly. Opening the `file` backend
/// runs scrypt once (recommended parameters: 128 MiB, a fraction of a second).
pub struct Keyring {
    dir: PathBuf,
    backend: Backend,
    prefix: String,
    /// Present for the `file` backend only.
    sealing: Option<SealingKey>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring")
            .field("dir", &self.dir)
            .field("backend", &self.backend)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// Keys live under `<home>/keyring-test/` (Test: plaintext JSON files, for localnets and tests)
    /// or `<home>/keyring-file/` (File: encrypted with a passphrase).
    ///
    /// The `file` backend needs a non-empty passphrase; when the keyring already has one set,
    /// a wrong passphrase fails here. Nothing is written until a key is added.
    pub fn open(
        home: &Path,
        backend: Backend,
        prefix: &str,
        passphrase: Option<String>,
    ) -> anyhow::Result<Keyring> {
        let prefix_ok = !prefix.is_empty()
            && prefix.len() <= MAX_PREFIX_LEN
            && prefix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && AccountId::new(prefix, &[0u8; 20]).is_ok();
        if !prefix_ok {
            bail!("'{prefix}' is not a valid bech32 address prefix; expected 1 to {MAX_PREFIX_LEN} lowercase letters and digits, e.g. 'depin'");
        }
        let dir = home.join(backend.dir_name());
        let sealing = match backend {
            Backend::Test => None,
            Backend::File => {
                let passphrase = Zeroizing::new(passphrase.ok_or_else(|| {
                    anyhow!(
                        "the `file` keyring backend needs a passphrase to open {}; give one, or use `--keyring-backend test` for a localnet",
                        dir.display()
                    )
                })?);
                if passphrase.is_empty() {
                    bail!(
                        "the keyring passphrase is empty; give the passphrase of {}",
                        dir.display()
                    );
                }
                Some(SealingKey::open(&dir, passphrase)?)
            }
        };
        Ok(Keyring {
            dir,
            backend,
            prefix: prefix.to_string(),
            sealing,
        })
    }

    /// The directory the keys are kept in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// New key from a fresh 24-word BIP39 mnemonic (OS randomness is fine here: this is the CLI, not state), or from `mnemonic` when given (recover). Refuses an existing name unless `overwrite`. Returns the info and the mnemonic.
    pub fn add(
        &self,
        name: &str,
        mnemonic: Option<&str>,
        overwrite: bool,
    ) -> anyhow::Result<(KeyInfo, String)> {
        validate_name(name)?;
        self.refuse_existing(name, overwrite)?;
        let mnemonic = match mnemonic {
            Some(phrase) => parse_mnemonic(phrase)?,
            None => {
                let mut entropy = Zeroizing::new([0u8; 32]);
                OsRng.fill_bytes(entropy.as_mut());
                bip39::Mnemonic::from_entropy(entropy.as_ref())
                    .context("cannot make a mnemonic from 32 bytes of entropy")?
            }
        };
        let secret = derive_secret(&mnemonic)?;
        let record = KeyRecord::new(name, &secret, Some(HD_PATH))?;
        let info = self.write_record(&record)?;
        Ok((info, mnemonic.to_string()))
    }

    /// Every stored key, sorted by name.
    pub fn list(&self) -> anyhow::Result<Vec<KeyInfo>> {
        let mut infos = Vec::new();
        for name in self.names()? {
            infos.push(self.read_record(&name)?.info(&self.prefix)?);
        }
        Ok(infos)
    }

    /// The key called `name_or_address`, or the stored key with that bech32 address.
    pub fn show(&self, name_or_address: &str) -> anyhow::Result<KeyInfo> {
        self.resolve(name_or_address)?.info(&self.prefix)
    }

    /// The signing key of the key called `name_or_address` (or with that address).
    pub fn signing_key(&self, name_or_address: &str) -> anyhow::Result<SigningKey> {
        let record = self.resolve(name_or_address)?;
        let secret = record.secret()?;
        SigningKey::from_slice(secret.as_ref())
            .map_err(|e| anyhow!("key '{}' holds an invalid private key: {e}", record.name))
    }

    /// Export the private key as hex (unarmored, like `keys export --unarmored-hex --unsafe`).
    pub fn export_hex(&self, name_or_address: &str) -> anyhow::Result<String> {
        let secret = self.resolve(name_or_address)?.secret()?;
        Ok(hex::encode(secret.as_ref()))
    }

    /// Import a private key given as hex (64 hex digits, an optional `0x` in front).
    pub fn import_hex(
        &self,
        name: &str,
        hex_key: &str,
        overwrite: bool,
    ) -> anyhow::Result<KeyInfo> {
        validate_name(name)?;
        self.refuse_existing(name, overwrite)?;
        let secret = parse_hex_secret(hex_key)?;
        let record = KeyRecord::new(name, &secret, None)?;
        self.write_record(&record)
    }

    /// Deletes the key called `name` (by name only, so an address typo cannot delete a key).
    pub fn delete(&self, name: &str) -> anyhow::Result<()> {
        validate_name(name)?;
        let path = self.key_path(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(self.not_found(name)),
            Err(e) => Err(anyhow!("cannot delete {}: {e}", path.display())),
        }
    }

    fn key_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.{KEY_FILE_EXTENSION}"))
    }

    fn not_found(&self, name: &str) -> anyhow::Error {
        anyhow!(
            "key '{name}' not found in {}; `depind keys list --keyring-backend {}` shows the keys",
            self.dir.display(),
            self.backend
        )
    }

    fn refuse_existing(&self, name: &str, overwrite: bool) -> anyhow::Result<()> {
        if !overwrite && self.key_path(name).exists() {
            bail!(
                "key '{name}' already exists in {}; choose another name, or pass --overwrite to replace it (the old key is lost unless you kept its mnemonic)",
                self.dir.display()
            );
        }
        Ok(())
    }

    /// Names of the stored keys, sorted. A missing directory is an empty keyring.
    fn names(&self) -> anyhow::Result<Vec<String>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => bail!(
                "cannot read the keyring directory {}: {e}",
                self.dir.display()
            ),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.with_context(|| {
                format!("cannot read the keyring directory {}", self.dir.display())
            })?;
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            // Temporary files start with '.', which no key name does.
            let Some(name) = file_name.strip_suffix(&format!(".{KEY_FILE_EXTENSION}")) else {
                continue;
            };
            if validate_name(name).is_ok() {
                names.push(name.to_string());
            }
        }
        names.sort();
        Ok(names)
    }

    fn resolve(&self, name_or_address: &str) -> anyhow::Result<KeyRecord> {
        if validate_name(name_or_address).is_ok() && self.key_path(name_or_address).exists() {
            return self.read_record(name_or_address);
        }
        let is_address = name_or_address.starts_with(&format!("{}1", self.prefix))
            && name_or_address.parse::<AccountId>().is_ok();
        if is_address {
            for name in self.names()? {
                let record = self.read_record(&name)?;
                if record.info(&self.prefix)?.address == name_or_address {
                    return Ok(record);
                }
            }
            bail!(
                "no key with address {name_or_address} in {}; `depind keys list --keyring-backend {}` shows the keys",
                self.dir.display(),
                self.backend
            );
        }
        validate_name(name_or_address)?;
        Err(self.not_found(name_or_address))
    }

    fn read_record(&self, name: &str) -> anyhow::Result<KeyRecord> {
        let path = self.key_path(name);
        let bytes = match read_small_file(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => return Err(self.not_found(name)),
            Err(e) => bail!("cannot read key file {}: {e}", path.display()),
        };
        let plaintext = match &self.sealing {
            None => Zeroizing::new(bytes),
            Some(sealing) => {
                let sealed: SealedKeyFile = serde_json::from_slice(&bytes).map_err(|e| {
                    anyhow!("{} is not a sealed key file ({e}); restore it from a backup, or delete it and recover the key from its mnemonic", path.display())
                })?;
                if sealed.name != name {
                    bail!("{} holds key '{}', not '{name}'; rename the file back to {}.{KEY_FILE_EXTENSION}", path.display(), sealed.name, sealed.name);
                }
                sealing.open_sealed(&sealed, &path)?
            }
        };
        let record: KeyRecord = serde_json::from_slice(&plaintext).map_err(|e| {
            anyhow!("{} is not a key record ({e}); restore it from a backup, or delete it and recover the key from its mnemonic", path.display())
        })?;
        if record.name != name {
            bail!(
                "{} holds key '{}', not '{name}'; rename the file back to {}.{KEY_FILE_EXTENSION}",
                path.display(),
                record.name,
                record.name
            );
        }
        record.check(&path)?;
        Ok(record)
    }

    fn write_record(&self, record: &KeyRecord) -> anyhow::Result<KeyInfo> {
        let info = record.info(&self.prefix)?;
        ensure_private_dir(&self.dir)?;
        let plaintext = Zeroizing::new(serde_json::to_vec_pretty(record)?);
        let contents = match &self.sealing {
            None => plaintext,
            Some(sealing) => {
                sealing.ensure_check_file(&self.dir)?;
                Zeroizing::new(serde_json::to_vec_pretty(
                    &sealing.seal(&record.name, &plaintext)?,
                )?)
            }
        };
        write_atomic(&self.key_path(&record.name), &contents)?;
        Ok(info)
    }
}

/// Key names become file names, so only `[A-Za-z0-9_.-]`, at most 64, not starting with '.'.
fn validate_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty() {
        bail!("the key name is empty; use letters, digits, '_', '.' or '-', e.g. 'alice'");
    }
    if name.len() > MAX_NAME_LEN {
        bail!(
            "key name '{name}' is {} characters long; at most {MAX_NAME_LEN} are allowed",
            name.len()
        );
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        bail!("key name '{name}' contains {bad:?}; use only letters, digits, '_', '.' or '-'");
    }
    if name.starts_with('.') {
        bail!("key name '{name}' starts with '.'; start it with a letter, a digit, '_' or '-'");
    }
    Ok(())
}

fn parse_mnemonic(phrase: &str) -> anyhow::Result<bip39::Mnemonic> {
    let normalized = Zeroizing::new(
        phrase
            .split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" "),
    );
    bip39::Mnemonic::parse_normalized(&normalized).map_err(|e| {
        anyhow!("the mnemonic is not a valid BIP39 English phrase ({e}); expected 12, 15, 18, 21 or 24 words from the BIP39 English word list")
    })
}

/// The 32-byte private key at `HD_PATH` of the mnemonic (empty BIP39 passphrase, as Cosmos wallets).
fn derive_secret(mnemonic: &bip39::Mnemonic) -> anyhow::Result<Zeroizing<[u8; KEY_LEN]>> {
    let seed = Zeroizing::new(mnemonic.to_seed(""));
    let path: DerivationPath = HD_PATH
        .parse()
        .map_err(|e| anyhow!("HD path {HD_PATH} does not parse: {e}"))?;
    let xprv = XPrv::derive_from_path(seed.as_ref(), &path)
        .map_err(|e| anyhow!("cannot derive a key at {HD_PATH}: {e}"))?;
    Ok(Zeroizing::new(xprv.private_key().to_bytes().into()))
}

fn parse_hex_secret(hex_key: &str) -> anyhow::Result<Zeroizing<[u8; KEY_LEN]>> {
    let trimmed = hex_key.trim();
    let digits = trimmed
        .strip_prefix("0x")
        .or_else(|| trimmed.strip_prefix("0X"))
        .unwrap_or(trimmed);
    let mut secret = Zeroizing::new([0u8; KEY_LEN]);
    if digits.len() != 2 * KEY_LEN {
        bail!(
            "the private key must be {} hex digits (32 bytes); got {} characters",
            2 * KEY_LEN,
            digits.len()
        );
    }
    hex::decode_to_slice(digits, secret.as_mut()).map_err(|e| {
        anyhow!(
            "the private key is not hex ({e}); expected {} digits 0-9a-f",
            2 * KEY_LEN
        )
    })?;
    k256::ecdsa::SigningKey::from_slice(secret.as_ref()).map_err(|_| {
        anyhow!("the private key is not a valid secp256k1 key (zero or not below the curve order)")
    })?;
    Ok(secret)
}

/// One stored key, as kept in a `keyring-test` file and sealed in a `keyring-file` one.
#[derive(Serialize, Deserialize)]
struct KeyRecord {
    name: String,
    algo: String,
    /// Base64 of the compressed public key; checked against the private key on every read.
    pubkey: String,
    /// Hex of the 32-byte secp256k1 private key; wiped from memory on drop.
    private_key: String,
    /// The HD path the key was derived at; absent for an imported key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hd_path: Option<String>,
}

impl Drop for KeyRecord {
    fn drop(&mut self) {
        self.private_key.zeroize();
    }
}

impl KeyRecord {
    fn new(name: &str, secret: &[u8; KEY_LEN], hd_path: Option<&str>) -> anyhow::Result<KeyRecord> {
        Ok(KeyRecord {
            name: name.to_string(),
            algo: ALGO_SECP256K1.to_string(),
            pubkey: pubkey_base64(secret)?,
            private_key: hex::encode(secret),
            hd_path: hd_path.map(str::to_string),
        })
    }

    fn secret(&self) -> anyhow::Result<Zeroizing<[u8; KEY_LEN]>> {
        let mut secret = Zeroizing::new([0u8; KEY_LEN]);
        hex::decode_to_slice(self.private_key.as_bytes(), secret.as_mut()).map_err(|e| {
            anyhow!(
                "key '{}' has a malformed private key ({e}); expected 64 hex digits",
                self.name
            )
        })?;
        Ok(secret)
    }

    /// A record must be internally consistent: a tampered or corrupt file is an error.
    fn check(&self, path: &Path) -> anyhow::Result<()> {
        if self.algo != ALGO_SECP256K1 {
            bail!(
                "{} holds a key of algorithm '{}'; only {ALGO_SECP256K1} is supported",
                path.display(),
                self.algo
            );
        }
        let secret = self
            .secret()
            .with_context(|| format!("in {}", path.display()))?;
        let pubkey = pubkey_base64(&secret).with_context(|| format!("in {}", path.display()))?;
        if pubkey != self.pubkey {
            bail!(
                "{} is corrupt: its public key does not match its private key; restore it from a backup",
                path.display()
            );
        }
        Ok(())
    }

    fn info(&self, prefix: &str) -> anyhow::Result<KeyInfo> {
        let pubkey = base64::engine::general_purpose::STANDARD
            .decode(&self.pubkey)
            .map_err(|e| anyhow!("key '{}' has a malformed public key: {e}", self.name))?;
        Ok(KeyInfo {
            name: self.name.clone(),
            address: address_of(&pubkey, prefix)?,
            pubkey: self.pubkey.clone(),
        })
    }
}

fn pubkey_base64(secret: &[u8; KEY_LEN]) -> anyhow::Result<String> {
    let key = k256::ecdsa::SigningKey::from_slice(secret)
        .map_err(|_| anyhow!("the private key is not a valid secp256k1 key"))?;
    let point = key.verifying_key().to_encoded_point(true);
    Ok(base64::engine::general_purpose::STANDARD.encode(point.as_bytes()))
}

/// bech32(prefix, ripemd160(sha256(compressed pubkey))), via cosmrs as clients compute it.
fn address_of(compressed_pubkey: &[u8], prefix: &str) -> anyhow::Result<String> {
    let verifying_key = k256::ecdsa::VerifyingKey::from_sec1_bytes(compressed_pubkey)
        .map_err(|e| anyhow!("not a secp256k1 public key: {e}"))?;
    let public_key = cosmrs::crypto::PublicKey::from(verifying_key);
    let account = public_key
        .account_id(prefix)
        .map_err(|e| anyhow!("cannot make a '{prefix}' address: {e}"))?;
    Ok(account.to_string())
}

/// scrypt parameters and salt, kept in every sealed file so each can be opened on its own.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
struct KdfParams {
    kdf: String,
    log_n: u8,
    r: u32,
    p: u32,
    /// Hex.
    salt: String,
}

impl KdfParams {
    fn fresh() -> KdfParams {
        let mut salt = [0u8; SALT_LEN];
        OsRng.fill_bytes(&mut salt);
        KdfParams {
            kdf: "scrypt".to_string(),
            log_n: scrypt::Params::RECOMMENDED_LOG_N,
            r: scrypt::Params::RECOMMENDED_R,
            p: scrypt::Params::RECOMMENDED_P,
            salt: hex::encode(salt),
        }
    }

    fn derive(&self, passphrase: &str, path: &Path) -> anyhow::Result<Zeroizing<[u8; KEY_LEN]>> {
        if self.kdf != "scrypt" {
            bail!(
                "{} uses key derivation '{}'; only scrypt is supported",
                path.display(),
                self.kdf
            );
        }
        if self.log_n > MAX_SCRYPT_LOG_N || self.r > MAX_SCRYPT_R || self.p > MAX_SCRYPT_P {
            bail!(
                "{} asks for scrypt log_n={} r={} p={}, above the limits log_n={MAX_SCRYPT_LOG_N} r={MAX_SCRYPT_R} p={MAX_SCRYPT_P}; the file was altered",
                path.display(),
                self.log_n,
                self.r,
                self.p
            );
        }
        let salt = hex::decode(&self.salt)
            .map_err(|e| anyhow!("{} has a malformed salt: {e}", path.display()))?;
        let params = scrypt::Params::new(self.log_n, self.r, self.p, KEY_LEN)
            .map_err(|e| anyhow!("{} has invalid scrypt parameters: {e}", path.display()))?;
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        scrypt::scrypt(passphrase.as_bytes(), &salt, &params, key.as_mut())
            .map_err(|e| anyhow!("scrypt failed: {e}"))?;
        Ok(key)
    }
}

/// The on-disk form of a sealed key record (and of the passphrase check).
#[derive(Serialize, Deserialize)]
struct SealedKeyFile {
    version: u32,
    /// The key name, also bound into the ciphertext as associated data.
    name: String,
    kdf: KdfParams,
    cipher: String,
    /// Hex of the 24-byte XChaCha20 nonce.
    nonce: String,
    /// Base64 of the ciphertext with its Poly1305 tag.
    ciphertext: String,
}

/// The passphrase-derived key of a `file` keyring, with the salt it was derived with.
struct SealingKey {
    passphrase: Zeroizing<String>,
    kdf: KdfParams,
    key: Zeroizing<[u8; KEY_LEN]>,
}

/// `name` of the sealed passphrase check; key names cannot contain '/', so no record has it.
const PASSPHRASE_CHECK_NAME: &str = "/passphrase-check";
const CIPHER_NAME: &str = "xchacha20poly1305";

impl SealingKey {
    /// Derives the key with the salt of `passphrase.check` and checks the passphrase against
    /// it; without that file (a new keyring), with a fresh salt.
    fn open(dir: &Path, passphrase: Zeroizing<String>) -> anyhow::Result<SealingKey> {
        let check_path = dir.join(PASSPHRASE_CHECK_FILE);
        let bytes = match read_small_file(&check_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let kdf = KdfParams::fresh();
                let key = kdf.derive(&passphrase, &check_path)?;
                return Ok(SealingKey {
                    passphrase,
                    kdf,
                    key,
                });
            }
            Err(e) => bail!("cannot read {}: {e}", check_path.display()),
        };
        let sealed: SealedKeyFile = serde_json::from_slice(&bytes).map_err(|e| {
            anyhow!(
                "{} is corrupt ({e}); delete it and open the keyring with its passphrase again",
                check_path.display()
            )
        })?;
        let key = sealed.kdf.derive(&passphrase, &check_path)?;
        let sealing = SealingKey {
            passphrase,
            kdf: sealed.kdf.clone(),
            key,
        };
        let text = sealing.open_sealed(&sealed, &check_path)?;
        if text.as_slice() != PASSPHRASE_CHECK_TEXT {
            bail!(
                "{} is corrupt; delete it and open the keyring with its passphrase again",
                check_path.display()
            );
        }
        Ok(sealing)
    }

    fn ensure_check_file(&self, dir: &Path) -> anyhow::Result<()> {
        let path = dir.join(PASSPHRASE_CHECK_FILE);
        if path.exists() {
            return Ok(());
        }
        let sealed = self.seal(PASSPHRASE_CHECK_NAME, PASSPHRASE_CHECK_TEXT)?;
        write_atomic(&path, &serde_json::to_vec_pretty(&sealed)?)
    }

    fn seal(&self, name: &str, plaintext: &[u8]) -> anyhow::Result<SealedKeyFile> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new_from_slice(self.key.as_ref())
            .map_err(|_| anyhow!("the sealing key has the wrong length"))?;
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| anyhow!("cannot encrypt key '{name}'"))?;
        Ok(SealedKeyFile {
            version: SEALED_FORMAT_VERSION,
            name: name.to_string(),
            kdf: self.kdf.clone(),
            cipher: CIPHER_NAME.to_string(),
            nonce: hex::encode(nonce),
            ciphertext: base64::engine::general_purpose::STANDARD.encode(ciphertext),
        })
    }

    fn open_sealed(
        &self,
        sealed: &SealedKeyFile,
        path: &Path,
    ) -> anyhow::Result<Zeroizing<Vec<u8>>> {
        if sealed.version != SEALED_FORMAT_VERSION || sealed.cipher != CIPHER_NAME {
            bail!(
                "{} is sealed with format {} / {}; this depind reads format {SEALED_FORMAT_VERSION} / {CIPHER_NAME}",
                path.display(),
                sealed.version,
                sealed.cipher
            );
        }
        // A file sealed under another salt (e.g. written before passphrase.check was
        // recreated) needs its own derivation.
        let other_key;
        let key = if sealed.kdf == self.kdf {
            &self.key
        } else {
            other_key = sealed.kdf.derive(&self.passphrase, path)?;
            &other_key
        };
        let nonce = hex::decode(&sealed.nonce)
            .ok()
            .filter(|n| n.len() == NONCE_LEN)
            .ok_or_else(|| {
                anyhow!(
                    "{} has a malformed nonce; expected {NONCE_LEN} bytes of hex",
                    path.display()
                )
            })?;
        let ciphertext = base64::engine::general_purpose::STANDARD
            .decode(&sealed.ciphertext)
            .map_err(|e| anyhow!("{} has a malformed ciphertext: {e}", path.display()))?;
        let cipher = XChaCha20Poly1305::new_from_slice(key.as_ref())
            .map_err(|_| anyhow!("the sealing key has the wrong length"))?;
        let plaintext = cipher
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: sealed.name.as_bytes(),
                },
            )
            .map_err(|_| {
                anyhow!(
                    "wrong passphrase for the keyring in {} (cannot decrypt {}); give the passphrase the keyring was created with",
                    path.parent().unwrap_or(path).display(),
                    path.display()
                )
            })?;
        Ok(Zeroizing::new(plaintext))
    }
}

fn read_small_file(path: &Path) -> std::io::Result<Vec<u8>> {
    let len = fs::metadata(path)?.len();
    if len > MAX_KEY_FILE_LEN {
        return Err(std::io::Error::new(
            ErrorKind::InvalidData,
            format!("the file is {len} bytes; keyring files are under {MAX_KEY_FILE_LEN} bytes"),
        ));
    }
    fs::read(path)
}

/// Creates the keyring directory, readable by its owner only on unix.
fn ensure_private_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let mut builder = fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    match builder.create(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(anyhow!(
            "cannot create the keyring directory {}: {e}",
            dir.display()
        )),
    }
}

/// Writes `contents` to a temporary file (mode 0600 on unix) beside `path`, syncs it and
/// renames it over `path`: a reader sees the old file or the new one, never half of one.
fn write_atomic(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow!("{} has no file name", path.display()))?;
    let tmp_path = dir.join(format!(".{file_name}.tmp-{:016x}", OsRng.next_u64()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = options
        .open(&tmp_path)
        .and_then(|mut file| {
            file.write_all(contents)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&tmp_path, path));
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp_path);
        bail!("cannot write {}: {e}", path.display());
    }
    // Make the rename itself durable; failing here loses nothing already written.
    #[cfg(unix)]
    if let Ok(dir_handle) = fs::File::open(dir) {
        let _ = dir_handle.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::signature::Verifier;

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    const ABANDON_COSMOS_ADDRESS: &str = "cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4";

    fn test_keyring(home: &Path) -> Keyring {
        Keyring::open(home, Backend::Test, "cosmos", None).unwrap()
    }

    fn file_keyring(home: &Path, passphrase: &str) -> anyhow::Result<Keyring> {
        Keyring::open(home, Backend::File, "cosmos", Some(passphrase.to_string()))
    }

    #[test]
    fn known_mnemonic_derives_known_address() {
        let home = tempfile::tempdir().unwrap();
        let keyring = test_keyring(home.path());
        let (info, mnemonic) = keyring.add("abandon", Some(ABANDON), false).unwrap();
        assert_eq!(info.address, ABANDON_COSMOS_ADDRESS);
        assert_eq!(mnemonic, ABANDON);
        // The address is computed with the prefix the keyring is opened with.
        let depin = Keyring::open(home.path(), Backend::Test, "depin", None).unwrap();
        let shown = depin.show("abandon").unwrap();
        assert!(shown.address.starts_with("depin1"), "{}", shown.address);
        assert_eq!(shown.pubkey, info.pubkey);
    }

    #[test]
    fn add_show_list_signing_key_round_trip() {
        let home = tempfile::tempdir().unwrap();
        let keyring = test_keyring(home.path());
        let (bob, bob_mnemonic) = keyring.add("bob", None, false).unwrap();
        let (alice, _) = keyring.add("alice", None, false).unwrap();
        assert_eq!(bob_mnemonic.split(' ').count(), 24);
        assert_ne!(alice.address, bob.address);
        assert!(alice.address.starts_with("cosmos1"));
        let pubkey = base64::engine::general_purpose::STANDARD
            .decode(&alice.pubkey)
            .unwrap();
        assert_eq!(pubkey.len(), 33);
        assert!(pubkey[0] == 2 || pubkey[0] == 3);

        assert_eq!(keyring.show("alice").unwrap(), alice);
        assert_eq!(keyring.list().unwrap(), vec![alice.clone(), bob.clone()]);

        let signing_key = keyring.signing_key("alice").unwrap();
        let public_key = signing_key.public_key();
        assert_eq!(
            public_key.account_id("cosmos").unwrap().to_string(),
            alice.address
        );
        assert_eq!(public_key.to_bytes(), pubkey);
        let signature = signing_key.sign(b"sign doc").unwrap();
        let verifying_key = k256::ecdsa::VerifyingKey::from_sec1_bytes(&pubkey).unwrap();
        assert!(verifying_key.verify(b"sign doc", &signature).is_ok());
        assert!(verifying_key.verify(b"other doc", &signature).is_err());

        // A fresh handle on the same home sees the same keys.
        assert_eq!(test_keyring(home.path()).list().unwrap(), vec![alice, bob]);
    }

    #[test]
    fn show_and_signing_key_accept_an_address() {
        let home = tempfile::tempdir().unwrap();
        let keyring = test_keyring(home.path());
        let (alice, _) = keyring.add("alice", None, false).unwrap();
        keyring.add("bob", None, false).unwrap();
        assert_eq!(keyring.show(&alice.address).unwrap(), alice);
        let key = keyring.signing_key(&alice.address).unwrap();
        assert_eq!(
            key.public_key().account_id("cosmos").unwrap().to_string(),
            alice.address
        );
        let err = keyring
            .show(ABANDON_COSMOS_ADDRESS)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no key with address"), "{err}");
    }

    #[test]
    fn recover_gives_the_same_address_as_add() {
        let home = tempfile::tempdir().unwrap();
        let keyring = test_keyring(home.path());
        let (original, mnemonic) = keyring.add("original", None, false).unwrap();
        let (recovered, recovered_mnemonic) =
            keyring.add("recovered", Some(&mnemonic), false).unwrap();
        assert_eq!(recovered.address, original.address);
        assert_eq!(recovered.pubkey, original.pubkey);
        assert_eq!(recovered_mnemonic, mnemonic);
        // Extra whitespace and capitals do not change the key.
        let messy = format!("  {}  ", mnemonic.to_uppercase().replace(' ', "\n "));
        let (messy_info, _) = keyring.add("messy", Some(&messy), false).unwrap();
        assert_eq!(messy_info.address, original.address);
        assert_eq!(
            keyring.export_hex("recovered").unwrap(),
            keyring.export_hex("original").unwrap()
        );
    }

    #[test]
    fn invalid_mnemonic_is_refused() {
        let home = tempfile::tempdir().unwrap();
        let keyring = test_keyring(home.path());
        // Wrong checksum word.
        let bad = ABANDON.replace("about", "abandon");
        let err = keyring
            .add("bad", Some(&bad), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a valid BIP39"), "{err}");
        assert!(keyring.add("bad", Some("hello world"), false).is_err());
        assert!(keyring.list().unwrap().is_empty());
    }

    #[test]
    fn duplicate_name_is_refused_without_overwrite() {
        let home = tempfile::tempdir().unwrap();
        let keyring = test_keyring(home.path());
        let (first, _) = keyring.add("alice", None, false).unwrap();
        let err = keyring.add("alice", None, false).unwrap_err().to_string();
        assert!(
            err.contains("already exists") && err.contains("--overwrite"),
            "{err}"
        );
        let err = keyring
            .import_hex("alice", &"11".repeat(32), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("already exists"), "{err}");
        assert_eq!(keyring.show("alice").unwrap(), first);

        let (second, _) = keyring.add("alice", Some(ABANDON), true).unwrap();
        assert_eq!(second.address, ABANDON_COSMOS_ADDRESS);
        assert_eq!(keyring.show("alice").unwrap(), second);
        assert_eq!(keyring.list().unwrap().len(), 1);
    }

    #[test]
    fn bad_names_are_refused() {
        let home = tempfile::tempdir().unwrap();
        let keyring = test_keyring(home.path());
        let too_long = "a".repeat(MAX_NAME_LEN + 1);
        for name in [
            "",
            "../evil",
            "a/b",
            "a\\b",
            "..",
            ".hidden",
            "with space",
            "ünï",
            "x\0y",
            &too_long,
        ] {
            let err = keyring.add(name, None, false).unwrap_err().to_string();
            assert!(err.contains("key name"), "{name:?}: {err}");
            assert!(
                keyring.import_hex(name, &"11".repeat(32), false).is_err(),
                "{name:?}"
            );
            assert!(keyring.delete(name).is_err(), "{name:?}");
        }
        assert!(keyring.list().unwrap().is_empty());
        assert!(!home.path().join("evil.json").exists());
        let longest = "a".repeat(MAX_NAME_LEN);
        for name in ["a", "Alice_1", "node-0.validator", "-dash", &longest] {
            keyring.add(name, None, false).unwrap();
        }
        assert_eq!(keyring.list().unwrap().len(), 5);
    }

    #[test]
    fn export_hex_then_import_hex_gives_the_same_address() {
        let home = tempfile::tempdir().unwrap();
        let keyring = test_keyring(home.path());
        let (alice, _) = keyring.add("alice", Some(ABANDON), false).unwrap();
        let exported = keyring.export_hex("alice").unwrap();
        assert_eq!(exported.len(), 64);
        let imported = keyring.import_hex("alice-copy", &exported, false).unwrap();
        assert_eq!(imported.address, ABANDON_COSMOS_ADDRESS);
        assert_eq!(imported.pubkey, alice.pubkey);
        assert_eq!(keyring.export_hex("alice-copy").unwrap(), exported);
        // "0x" and surrounding whitespace are accepted.
        let again = keyring
            .import_hex("again", &format!(" 0x{exported}\n"), false)
            .unwrap();
        assert_eq!(again.address, alice.address);
    }

    #[test]
    fn import_hex_refuses_bad_keys() {
        let home = tempfile::tempdir().unwrap();
        let keyring = test_keyring(home.path());
        for (bad, expected) in [
            ("abcd", "64 hex digits"),
            (&*"zz".repeat(32), "not hex"),
            (&*"00".repeat(32), "not a valid secp256k1 key"),
            (&*"ff".repeat(32), "not a valid secp256k1 key"),
        ] {
            let err = keyring.import_hex("k", bad, false).unwrap_err().to_string();
            assert!(err.contains(expected), "{bad}: {err}");
        }
        assert!(keyring.list().unwrap().is_empty());
    }

    #[test]
    fn delete_then_show_fails() {
        let home = tempfile::tempdir().unwrap();
        let keyring = test_keyring(home.path());
        keyring.add("alice", None, false).unwrap();
        keyring.add("bob", None, false).unwrap();
        keyring.delete("alice").unwrap();
        let err = keyring.show("alice").unwrap_err().to_string();
        assert!(
            err.contains("key 'alice' not found in") && err.contains("keys list"),
            "{err}"
        );
        assert!(keyring.signing_key("alice").is_err());
        assert!(keyring.export_hex("alice").is_err());
        let err = keyring.delete("alice").unwrap_err().to_string();
        assert!(err.contains("not found"), "{err}");
        assert_eq!(keyring.list().unwrap().len(), 1);
        assert_eq!(keyring.list().unwrap()[0].name, "bob");
    }

    #[test]
    fn empty_keyring_lists_nothing_and_writes_nothing() {
        let home = tempfile::tempdir().unwrap();
        let keyring = test_keyring(home.path());
        assert!(keyring.list().unwrap().is_empty());
        assert!(keyring.show("alice").is_err());
        let file = file_keyring(home.path(), "pass phrase").unwrap();
        assert!(file.list().unwrap().is_empty());
        assert!(!home.path().join("keyring-test").exists());
        assert!(!home.path().join("keyring-file").exists());
    }

    #[test]
    fn corrupt_files_are_errors_not_panics() {
        let home = tempfile::tempdir().unwrap();
        let keyring = test_keyring(home.path());
        keyring.add("alice", None, false).unwrap();
        let path = home.path().join("keyring-test/alice.json");
        let original = fs::read_to_string(&path).unwrap();

        for corrupt in [
            "{not json".to_string(),
            String::new(),
            "[]".to_string(),
            original.replace("\"alice\"", "\"bob\""),
            original.replace("secp256k1", "ed25519"),
        ] {
            fs::write(&path, &corrupt).unwrap();
            assert!(keyring.show("alice").is_err(), "{corrupt}");
            assert!(keyring.signing_key("alice").is_err(), "{corrupt}");
            assert!(keyring.list().is_err(), "{corrupt}");
        }

        // A private key that no longer matches the stored public key is caught.
        let record: serde_json::Value = serde_json::from_str(&original).unwrap();
        let private_key = record["private_key"].as_str().unwrap();
        let other = if private_key.starts_with('1') {
            "2"
        } else {
            "1"
        };
        fs::write(
            &path,
            original.replacen(private_key, &format!("{other}{}", &private_key[1..]), 1),
        )
        .unwrap();
        let err = keyring.show("alice").unwrap_err().to_string();
        assert!(err.contains("does not match"), "{err}");

        fs::write(&path, &original).unwrap();
        assert!(keyring.show("alice").is_ok());
    }

    #[test]
    fn backend_parse() {
        assert_eq!(Backend::parse("test").unwrap(), Backend::Test);
        assert_eq!(Backend::parse("file").unwrap(), Backend::File);
        let err = Backend::parse("os").unwrap_err().to_string();
        assert!(
            err.contains("'os'") && err.contains("`test` or `file`"),
            "{err}"
        );
        assert!(Backend::parse("").is_err());
        assert!(Backend::parse("Test").is_err());
    }

    #[test]
    fn bad_prefix_is_refused() {
        let home = tempfile::tempdir().unwrap();
        assert!(Keyring::open(home.path(), Backend::Test, "", None).is_err());
        for bad in [
            "Cosmos",
            "cos mos",
            "cosmos_",
            &"a".repeat(MAX_PREFIX_LEN + 1),
        ] {
            let err = Keyring::open(home.path(), Backend::Test, bad, None)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("not a valid bech32 address prefix"),
                "{bad}: {err}"
            );
        }
        assert!(Keyring::open(home.path(), Backend::Test, "depin", None).is_ok());
    }

    #[test]
    fn file_backend_needs_the_right_passphrase() {
        let home = tempfile::tempdir().unwrap();
        let err = Keyring::open(home.path(), Backend::File, "cosmos", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs a passphrase"), "{err}");
        let err = file_keyring(home.path(), "").unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");

        let keyring = file_keyring(home.path(), "correct horse").unwrap();
        let (alice, _) = keyring.add("alice", Some(ABANDON), false).unwrap();
        assert_eq!(alice.address, ABANDON_COSMOS_ADDRESS);
        drop(keyring);

        let err = file_keyring(home.path(), "wrong horse")
            .unwrap_err()
            .to_string();
        assert!(err.contains("wrong passphrase"), "{err}");

        let keyring = file_keyring(home.path(), "correct horse").unwrap();
        assert_eq!(keyring.show("alice").unwrap(), alice);
        assert_eq!(keyring.list().unwrap(), vec![alice.clone()]);
        let key = keyring.signing_key("alice").unwrap();
        assert_eq!(
            key.public_key().account_id("cosmos").unwrap().to_string(),
            alice.address
        );

        // Without the check file, a wrong passphrase is caught when a key is read.
        fs::remove_file(home.path().join("keyring-file").join(PASSPHRASE_CHECK_FILE)).unwrap();
        let wrong = file_keyring(home.path(), "wrong horse").unwrap();
        let err = wrong.show("alice").unwrap_err().to_string();
        assert!(err.contains("wrong passphrase"), "{err}");
        assert!(wrong.signing_key("alice").is_err());
        let right = file_keyring(home.path(), "correct horse").unwrap();
        assert_eq!(right.show("alice").unwrap(), alice);

        // The test backend does not see file-backend keys.
        assert!(test_keyring(home.path()).list().unwrap().is_empty());
    }

    #[test]
    fn file_backend_keeps_no_secret_in_clear() {
        let home = tempfile::tempdir().unwrap();
        let keyring = file_keyring(home.path(), "correct horse").unwrap();
        let (info, mnemonic) = keyring.add("alice", None, false).unwrap();
        let private_hex = keyring.export_hex("alice").unwrap();
        let dir = home.path().join("keyring-file");
        let mut files = 0;
        for entry in fs::read_dir(&dir).unwrap() {
            let contents = fs::read_to_string(entry.unwrap().path()).unwrap();
            // Two words with their space: a single short word ("web") may occur by chance in
            // the encrypted file's base64, a space never does.
            let two_words = mnemonic.split(' ').take(2).collect::<Vec<_>>().join(" ");
            for secret in [
                mnemonic.as_str(),
                two_words.as_str(),
                &private_hex,
                "correct horse",
            ] {
                assert!(!contents.contains(secret), "{secret} in clear");
            }
            assert!(!contents.contains(&info.pubkey));
            files += 1;
        }
        assert_eq!(files, 2, "alice.json and {PASSPHRASE_CHECK_FILE}");

        // Flipping one ciphertext byte is detected, not decrypted to garbage.
        let path = dir.join("alice.json");
        let mut sealed: serde_json::Value =
            serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        let mut ciphertext = base64::engine::general_purpose::STANDARD
            .decode(sealed["ciphertext"].as_str().unwrap())
            .unwrap();
        ciphertext[0] ^= 1;
        sealed["ciphertext"] = base64::engine::general_purpose::STANDARD
            .encode(ciphertext)
            .into();
        fs::write(&path, serde_json::to_vec(&sealed).unwrap()).unwrap();
        assert!(keyring.show("alice").is_err());
        fs::write(&path, "{").unwrap();
        assert!(keyring.show("alice").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private_to_the_owner() {
        use std::os::unix::fs::PermissionsExt;
        let home = tempfile::tempdir().unwrap();
        let keyring = test_keyring(home.path());
        keyring.add("alice", None, false).unwrap();
        keyring.add("alice", None, true).unwrap();
        let dir = home.path().join("keyring-test");
        assert_eq!(
            fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(
            names,
            vec!["alice.json"],
            "no temporary file is left behind"
        );
        let mode = fs::metadata(dir.join("alice.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
