"""Golden values of the default generator: manual_seed then rand/randint/randperm.

Run: /usr/bin/python3 tooling/golden/generator.py  (PyTorch 1.13, Debian's python3-torch)
Writes packages/conformance/fixtures/random.json.
"""
import json
import os

import torch

cases = []
for seed in (0, 42, 123456789):
    torch.manual_seed(seed)
    cases.append({"seed": seed, "call": ["rand", [7], {"dtype": "float32"}],
                  "out": torch.rand(7, dtype=torch.float32).tolist()})
    torch.manual_seed(seed)
    cases.append({"seed": seed, "call": ["rand", [5], {"dtype": "float64"}],
                  "out": torch.rand(5, dtype=torch.float64).tolist()})
    torch.manual_seed(seed)
    cases.append({"seed": seed, "call": ["randint", 0, 10, [6], {}],
                  "out": torch.randint(0, 10, (6,)).tolist()})
    torch.manual_seed(seed)
    cases.append({"seed": seed, "call": ["randperm", 9, {}], "out": torch.randperm(9).tolist()})

out = {
    "meta": {"torch": torch.__version__, "generator": "tooling/golden/generator.py",
             "regenerate": "/usr/bin/python3 tooling/golden/generator.py", "patches": [],
             "what": "the CPU generator: manual_seed(seed) then one call; the suite reseeds before each"},
    "cases": cases,
}
path = os.path.join(os.path.dirname(__file__), "..", "..", "packages", "conformance", "fixtures", "random.json")
with open(path, "w") as f:
    json.dump(out, f)
print("wrote", os.path.normpath(path), len(cases), "cases")
