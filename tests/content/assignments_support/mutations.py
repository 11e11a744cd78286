"""Plausible wrong answers, made by editing one solution cell of the reference notebook.

Each names the solution cell it edits, the exact text it replaces (which must occur once, so a
changed solution fails loudly instead of silently grading an unchanged copy), and the graded
test cells that must lose their points. Every other graded cell must keep full marks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutation:
    name: str
    why: str
    cell: str
    old: str
    new: str
    breaks: frozenset[str]


def m(name: str, why: str, cell: str, old: str, new: str, *breaks: str) -> Mutation:
    return Mutation(name, why, cell, old, new, frozenset(breaks))


MUTATIONS: dict[str, list[Mutation]] = {
    "A1": [
        m("ce_wrong_sign", "sign error in the softmax cross-entropy gradient",
          "cross_entropy", "dlogits = (probs - onehot) / n", "dlogits = (onehot - probs) / n",
          "test_cross_entropy", "test_training"),
        m("no_relu_derivative", "backward forgets the ReLU derivative of hidden layers",
          "backward", "dZ = dA * relu_grad(Z_prev)", "dZ = dA",
          "test_backward", "test_training"),
        m("one_sided_difference", "forward difference instead of a central difference",
          "gradcheck", "grad[idx] = (up - down) / (2 * eps)",
          "grad[idx] = (up - f(x)) / eps", "test_gradcheck"),
    ],
}
MUTATIONS["A2"] = [
    m("no_padding", "the first convolution forgets padding=1, so the shapes no longer fit",
      "cnn", "nn.Conv2d(1, 16, kernel_size=3, padding=1)", "nn.Conv2d(1, 16, kernel_size=3)",
      "test_cnn", "test_fit"),
    m("fan_out_init", "He initialisation with fan_out instead of fan_in",
      "init", 'mode="fan_in"', 'mode="fan_out"', "test_init"),
    m("no_zero_grad", "the training loop never zeroes the gradients",
      "loops", "        optimizer.zero_grad()\n", "", "test_loops", "test_fit"),
    m("conv_ignores_padding", "the hand-written convolution ignores padding",
      "conv2d", "x = F.pad(x, (padding, padding, padding, padding))", "x = x",
      "test_conv2d"),
]
MUTATIONS["A3"] = [
    m("attention_unscaled", "attention forgets to divide the scores by sqrt(d)",
      "attention", "q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])", "q @ k.transpose(-2, -1)",
      "test_attention"),
    m("causal_mask_upper", "the causal mask lets each position see the future instead",
      "causal_mask", "torch.tril(", "torch.triu(", "test_causal_mask"),
    m("lstm_reads_padding", "the LSTM classifier reads the last padded position",
      "lstm",
      "        lengths = attention_mask.sum(dim=1).cpu()\n"
      "        packed = nn.utils.rnn.pack_padded_sequence(\n"
      "            self.embedding(input_ids), lengths, batch_first=True, enforce_sorted=False\n"
      "        )\n"
      "        _, (h_n, _) = self.lstm(packed)\n"
      "        return self.head(h_n[-1])",
      "        output, _ = self.lstm(self.embedding(input_ids))\n"
      "        return self.head(output[:, -1])",
      "test_lstm"),
]
MUTATIONS["A4"] = [
    m("no_self_loops", "the normalised adjacency forgets the self-loops (A instead of A + I)",
      "norm_adj", "    a = a + torch.eye(num_nodes)\n", "", "test_norm_adj"),
    m("mean_aggregation", "the GCN layer averages messages instead of summing them",
      "message_passing", 'super().__init__(aggr="add")', 'super().__init__(aggr="mean")',
      "test_message_passing"),
    m("prune_per_layer", "pruning each layer on its own instead of globally",
      "prune",
      "    prune.global_unstructured(targets, pruning_method=prune.L1Unstructured, amount=amount)\n"
      "    for module, name in targets:\n",
      "    for module, name in targets:\n"
      "        prune.l1_unstructured(module, name, amount=amount)\n",
      "test_prune"),
    m("quantize_floor", "quantization truncates instead of rounding to the nearest level",
      "quantize", "q = torch.round(w.detach() / scale)", "q = torch.trunc(w.detach() / scale)",
      "test_quantize"),
]
