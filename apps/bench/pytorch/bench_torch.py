#!/usr/bin/python3
"""PyTorch side of `pnpm bench`'s `pytorch` section (apps/bench/src/pytorch.ts).

Started once per bench run as a child process (`/usr/bin/python3 -u bench_torch.py`), it
prints one JSON line describing itself, then answers one JSON command per stdin line with
one JSON line on stdout, so that the bench can interleave its rounds with stepwise's (the
same minute of a shared machine for both columns). Each command names a workload, the
thread count (torch.set_num_threads) and how much to do; the answer is the wall time in
seconds of the timed part. A workload keeps its model, optimizer and data between rounds
(warm-up steps run once, when it is first asked for). The workloads are written exactly
as the stepwise ones in pytorch.ts:

- seed002: seed 002's experiment, a 1-20-1 MLP (Linear, ReLU, Linear) on 1,000 points of
  y = x^2 + 0.1 noise, 1,000 full-batch Adam(lr 0.01) steps, MSE, loss.item() every step
  (as the seed reads it); a fresh model each round, the loop timed.
- cnn32: seed 004's CNN as issue 15 defines it, Conv2d(1,32,5,p2) MaxPool2d(2)
  Conv2d(32,32,5,p2) MaxPool2d(2) Conv2d(32,64,5,p2) MaxPool2d(2) Flatten Linear(1024,64)
  Linear(64,10), cross-entropy, SGD(lr 0.01), batch 64 of Fashion-MNIST padded to 32x32.
- cnn32k3: the same network with 3x3 filters (padding 1).
- nnreally: the "What is torch.nn really?" CNN (three Conv2d(.,.,3,stride 2,padding 1) with
  ReLU, avg_pool2d(4)), batch 64 of 28x28 images, cross-entropy, SGD(lr 0.1, momentum 0.9).
- mlp: 784-256-256-10 MLP, ReLU, batch 128 of random data, cross-entropy, Adam(lr 1e-3).
- add: `a.add(b)` on two 4-element float32 tensors, the result dropped.

Only the standard library, numpy and torch (Debian: python3-torch, python3-numpy).
"""

import gzip
import json
import os
import platform
import subprocess
import sys
import time
import traceback

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def read_idx(path):
    """An IDX file (plain or .gz) as a numpy array: magic 0x0803 images, 0x0801 labels."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def idx_file(root, stem):
    for name in (stem, stem + ".gz"):
        p = os.path.join(root, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(os.path.join(root, stem))


def images(data, count, pad):
    """`count` training images as float32 [count, 1, 28+2pad, 28+2pad] in [0, 1] and int64 labels.

    The first `count` images of Fashion-MNIST's training set (zero-padded by `pad`), or
    uniform random pixels and labels of the same shape when data['kind'] == 'synthetic'.
    """
    side = 28 + 2 * pad
    if data["kind"] == "synthetic":
        g = torch.Generator().manual_seed(15)
        return torch.rand(count, 1, side, side, generator=g), torch.randint(0, 10, (count,), generator=g)
    x = read_idx(idx_file(data["root"], "train-images-idx3-ubyte"))[:count]
    y = read_idx(idx_file(data["root"], "train-labels-idx1-ubyte"))[:count]
    x = np.pad(x, ((0, 0), (pad, pad), (pad, pad))).astype(np.float32) / 255.0
    return torch.from_numpy(x).reshape(count, 1, side, side), torch.from_numpy(y.astype(np.int64))


class MnistCNN(nn.Module):
    """"What is torch.nn really?": Mnist_CNN, as the tutorial writes it."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(16, 16, kernel_size=3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(16, 10, kernel_size=3, stride=2, padding=1)

    def forward(self, xb):
        xb = xb.view(-1, 1, 28, 28)
        xb = F.relu(self.conv1(xb))
        xb = F.relu(self.conv2(xb))
        xb = F.relu(self.conv3(xb))
        xb = F.avg_pool2d(xb, 4)
        return xb.view(-1, xb.size(1))


class Batches:
    """A model, its optimizer and its data, stepped batch after batch (cycling through the data)."""

    def __init__(self, model, opt, xs, ys, batch):
        self.model, self.opt, self.xs, self.ys, self.batch = model, opt, xs, ys, batch
        self.n = xs.shape[0] // batch
        self.i = 0

    def step(self):
        k = self.i % self.n
        self.i += 1
        xb = self.xs[k * self.batch : (k + 1) * self.batch]
        yb = self.ys[k * self.batch : (k + 1) * self.batch]
        loss = F.cross_entropy(self.model(xb), yb)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss


def make(cmd):
    w = cmd["workload"]
    torch.manual_seed(0)
    if w in ("cnn32", "cnn32k3"):
        k = 5 if w == "cnn32" else 3
        model = nn.Sequential(
            nn.Conv2d(1, 32, k, padding=k // 2),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 32, k, padding=k // 2),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, k, padding=k // 2),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(1024, 64),
            nn.Linear(64, 10),
        )
        x, y = images(cmd["data"], cmd["batch"] * cmd["batches"], 2)
        return Batches(model, torch.optim.SGD(model.parameters(), lr=0.01), x, y, cmd["batch"])
    if w == "nnreally":
        model = MnistCNN()
        x, y = images(cmd["data"], cmd["batch"] * cmd["batches"], 0)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        return Batches(model, opt, x.reshape(-1, 784), y, cmd["batch"])
    if w == "mlp":
        model = nn.Sequential(
            nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
        )
        x = torch.randn(128, 784)
        y = torch.randint(0, 10, (128,))
        return Batches(model, torch.optim.Adam(model.parameters(), lr=1e-3), x, y, 128)
    raise ValueError(f"unknown workload {w!r}")


def seed002(steps):
    torch.manual_seed(42)
    x = torch.linspace(-1, 1, 1000).unsqueeze(1)
    y = x.pow(2) + torch.randn(1000, 1) * 0.1
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 20), nn.ReLU(), nn.Linear(20, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.MSELoss()
    losses = []
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return time.perf_counter() - t0, losses[-1]


def add(ops):
    a = torch.tensor([1.0, 2.0, 3.0, 4.0])
    b = torch.tensor([0.5, 0.5, 0.5, 0.5])
    for _ in range(100):
        a.add(b)
    t0 = time.perf_counter()
    for _ in range(ops):
        a.add(b)
    return time.perf_counter() - t0


STATE = {}


def run(cmd):
    torch.set_num_threads(cmd["threads"])
    w = cmd["workload"]
    if w == "seed002":
        seconds, loss = seed002(cmd["steps"])
        return {"seconds": seconds, "loss": loss}
    if w == "add":
        return {"seconds": add(cmd["ops"])}
    st = STATE.get(w)
    if st is None:
        st = STATE[w] = make(cmd)
        for _ in range(cmd["warmup"]):
            st.step()
    t0 = time.perf_counter()
    for _ in range(cmd["steps"]):
        loss = st.step()
    value = loss.item()
    return {"seconds": time.perf_counter() - t0, "loss": value}


def loaded_blas():
    """The BLAS library this process has mapped after a matmul (Debian's python3-torch links
    libblas.so.3, whichever alternative provides it: the reference libblas3, OpenBLAS, ...)."""
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))
    found = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.split()[-1]
                if "blas" in os.path.basename(path).lower():
                    real = os.path.realpath(path)
                    if real not in found:
                        found.append(real)
    except OSError:
        pass
    return found


def package_of(path):
    """The Debian package that owns `path` (dpkg-query -S), or None."""
    try:
        out = subprocess.run(["dpkg-query", "-S", path], capture_output=True, text=True, timeout=10)
        if out.returncode != 0:
            return None
        return out.stdout.split(":")[0].strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def main():
    hello = {
        "type": "hello",
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "executable": sys.executable,
        "cpus": os.cpu_count(),
        "defaultThreads": torch.get_num_threads(),
        "mkldnn": torch.backends.mkldnn.is_available(),
        "parallel": torch.__config__.parallel_info().splitlines()[-1].strip(),
        "blas": [{"path": p, "package": package_of(p)} for p in loaded_blas()],
    }
    print(json.dumps(hello), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        try:
            out = {"id": cmd.get("id"), "ok": True, **run(cmd), "threads": torch.get_num_threads()}
        except Exception as e:  # reported to the bench, which prints it in the table
            traceback.print_exc(file=sys.stderr)
            out = {"id": cmd.get("id"), "ok": False, "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
