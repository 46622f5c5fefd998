//! JSON conventions of Cosmos genesis files: 64-bit integers are written as strings (JSON
//! numbers lose precision past 2^53 in JavaScript), and read from either form.

/// `#[serde(with = "depin_app::json::u64_string")]`
pub mod u64_string {
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            S(String),
            N(u64),
        }
        match Either::deserialize(d)? {
            Either::S(s) => s.parse().map_err(de::Error::custom),
            Either::N(n) => Ok(n),
        }
    }
}
