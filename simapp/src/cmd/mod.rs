//! The subcommands of depind. Each file is one command group.

pub mod client;
pub mod export;
pub mod genesis;
pub mod init;
pub mod keys;
pub mod query;
pub mod start;
pub mod tx;

use std::path::PathBuf;

use anyhow::{bail, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Text,
    Json,
}

/// What every command gets.
pub struct Context {
    pub home: PathBuf,
    pub output: Output,
}

impl Context {
    /// Prints `value` as JSON, or as indented `key: value` lines for text output.
    pub fn print(&self, value: &serde_json::Value) {
        match self.output {
            Output::Json => println!("{value}"),
            Output::Text => print_text(value, 0),
        }
    }
}

fn print_text(value: &serde_json::Value, indent: usize) {
    use serde_json::Value;
    let pad = "  ".repeat(indent);
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::Object(_) | Value::Array(_) => {
                        println!("{pad}{k}:");
                        print_text(v, indent + 1);
                    }
                    Value::String(s) => println!("{pad}{k}: {s}"),
                    other => println!("{pad}{k}: {other}"),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(_) | Value::Array(_) => {
                        println!("{pad}-");
                        print_text(item, indent + 1);
                    }
                    Value::String(s) => println!("{pad}- {s}"),
                    other => println!("{pad}- {other}"),
                }
            }
        }
        Value::String(s) => println!("{pad}{s}"),
        other => println!("{pad}{other}"),
    }
}

pub fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".depind")
}

/// `tcp://host:port` or `host:port` → `host:port`.
pub fn socket_addr(s: &str) -> Result<String> {
    let a = s
        .strip_prefix("tcp://")
        .unwrap_or(s)
        .trim_end_matches('/')
        .to_string();
    if !a.contains(':') {
        bail!("address {s:?} has no port (write e.g. tcp://127.0.0.1:26658)");
    }
    Ok(a)
}

/// `tcp://host:port` or `host:port` → `http://host:port` for CometBFT RPC.
pub fn rpc_url(s: &str) -> String {
    if let Some(rest) = s.strip_prefix("tcp://") {
        format!("http://{rest}")
    } else if s.starts_with("http://") || s.starts_with("https://") {
        s.to_string()
    } else {
        format!("http://{s}")
    }
}
