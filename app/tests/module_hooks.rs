//! The hooks a consensus module (staking) builds on: the validator set genesis creates goes
//! back to CometBFT from InitChain; the votes on the last block and misbehaviour evidence
//! reach begin-block; validator updates from end-block reach FinalizeBlock's response.

use std::sync::{Arc, Mutex};

use depin_app::app::{AppBuilder, AppConfig};
use depin_app::context::Ctx;
use depin_app::error::AppResult;
use depin_app::module::{AnteHandler, Module, TxContext};
use depin_app::node::{Node, NodeConfig};
use tendermint_proto::v0_38::abci::{
    CommitInfo, Misbehavior, RequestFinalizeBlock, RequestInitChain, Validator, ValidatorUpdate,
    VoteInfo,
};
use tendermint_proto::v0_38::crypto::{public_key, PublicKey};

fn update(key: u8, power: i64) -> ValidatorUpdate {
    ValidatorUpdate {
        pub_key: Some(PublicKey {
            sum: Some(public_key::Sum::Ed25519(vec![key; 32])),
        }),
        power,
    }
}

#[derive(Default)]
struct Seen {
    votes: Vec<(Vec<u8>, bool)>,
    evidence: usize,
}

struct Consensus(Arc<Mutex<Seen>>);

impl Module for Consensus {
    fn name(&self) -> &'static str {
        "consensus"
    }
    fn store_prefix(&self) -> &'static [u8] {
        b"consensus/"
    }
    fn default_genesis(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    fn init_genesis(&self, _: &mut Ctx<'_, '_>, _: &serde_json::Value) -> AppResult<()> {
        Ok(())
    }
    fn export_genesis(&self, _: &mut Ctx<'_, '_>) -> AppResult<serde_json::Value> {
        Ok(serde_json::Value::Null)
    }
    fn genesis_validators(&self, _: &mut Ctx<'_, '_>) -> AppResult<Vec<ValidatorUpdate>> {
        Ok(vec![update(1, 10), update(2, 20)])
    }
    fn begin_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<()> {
        let mut seen = self.0.lock().unwrap();
        for v in &ctx.env.last_commit {
            let address = v
                .validator
                .as_ref()
                .map(|v| v.address.to_vec())
                .unwrap_or_default();
            seen.votes.push((address, v.block_id_flag == 2));
        }
        seen.evidence += ctx.env.misbehavior.len();
        Ok(())
    }
    fn end_block(&self, ctx: &mut Ctx<'_, '_>) -> AppResult<Vec<ValidatorUpdate>> {
        Ok(if ctx.env.height == 2 {
            vec![update(3, 5)]
        } else {
            vec![]
        })
    }
}

struct NoAnte;
impl AnteHandler for NoAnte {
    fn ante(&self, _: &mut Ctx<'_, '_>, _: &TxContext<'_>) -> AppResult<()> {
        Ok(())
    }
}

#[test]
fn consensus_hooks_reach_the_module_and_cometbft() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let app = AppBuilder::new(AppConfig::default())
        .module(Consensus(seen.clone()))
        .ante(NoAnte)
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::open(Arc::new(app), dir.path(), NodeConfig::default()).unwrap();
    let init = node.init_chain(RequestInitChain {
        chain_id: "hooks-1".into(),
        initial_height: 1,
        validators: vec![update(9, 1)],
        ..Default::default()
    });
    assert_eq!(init.validators, vec![update(1, 10), update(2, 20)]);

    let block =
        |height: i64, votes: Vec<VoteInfo>, misbehavior: Vec<Misbehavior>| RequestFinalizeBlock {
            height,
            decided_last_commit: Some(CommitInfo { round: 0, votes }),
            misbehavior,
            ..Default::default()
        };
    let r = node.finalize_block(block(1, vec![], vec![]));
    assert!(r.validator_updates.is_empty());
    node.commit();
    let vote = |addr: u8, signed: bool| VoteInfo {
        validator: Some(Validator {
            address: vec![addr; 20].into(),
            power: 10,
        }),
        block_id_flag: if signed { 2 } else { 1 },
    };
    let r = node.finalize_block(block(
        2,
        vec![vote(1, true), vote(2, false)],
        vec![Misbehavior::default()],
    ));
    assert_eq!(r.validator_updates, vec![update(3, 5)]);
    node.commit();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.votes, vec![(vec![1; 20], true), (vec![2; 20], false)]);
    assert_eq!(seen.evidence, 1);
}
