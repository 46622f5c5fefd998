// cosmjs against a depin chain, with no depin-specific code: the same calls a wallet makes.
//   node client.mjs address <mnemonic>
//   node client.mjs send <rpc-url> <mnemonic> <to-address> <amount-udepin> <unused-address>
// Prints one JSON object; exits non-zero on failure.
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient, StargateClient, assertIsDeliverTxSuccess } from "@cosmjs/stargate";

const [cmd, ...args] = process.argv.slice(2);

async function wallet(mnemonic) {
  return DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "depin" });
}

async function main() {
  if (cmd === "address") {
    const [account] = await (await wallet(args[0])).getAccounts();
    console.log(JSON.stringify({ address: account.address }));
    return;
  }
  if (cmd === "send") {
    const [rpc, mnemonic, to, amount, unused] = args;
    const w = await wallet(mnemonic);
    const [{ address: from }] = await w.getAccounts();
    const query = await StargateClient.connect(rpc);
    const chainId = await query.getChainId();
    const account = await query.getAccount(from);
    const before = await query.getBalance(to, "udepin");
    const client = await SigningStargateClient.connectWithSigner(rpc, w, {
      gasPrice: GasPrice.fromString("0.025udepin"),
    });
    // "auto": cosmjs simulates (unsigned, empty fee) and multiplies the estimate by 1.4.
    const result = await client.sendTokens(from, to, [{ denom: "udepin", amount }], "auto", "from cosmjs");
    assertIsDeliverTxSuccess(result);
    const after = await query.getBalance(to, "udepin");
    const missing = await query.getAccount(unused);
    const found = await query.searchTx(`message.sender='${from}'`);
    console.log(JSON.stringify({
      chainId,
      accountNumber: Number(account.accountNumber),
      sequence: Number(account.sequence),
      height: Number(result.height),
      gasWanted: result.gasWanted.toString(),
      gasUsed: result.gasUsed.toString(),
      hash: result.transactionHash,
      before: before.amount,
      after: after.amount,
      missingAccountIsNull: missing === null,
      foundBySender: found.length,
    }));
    return;
  }
  throw new Error(`unknown command ${cmd}`);
}

main().catch((e) => {
  console.error(e?.stack ?? String(e));
  process.exit(1);
});
