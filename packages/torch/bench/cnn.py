# The benchmark CNN in Python PyTorch, for the comparison printed by `npm run bench`.
# Usage: cnn.py STEPS THREADS. Prints one JSON line with, for the default layout (NCHW) and for
# channels-last ("cl_" keys): "train"/"infer" images/s, "train_cpu"/"infer_cpu" images per CPU-second
# of this process; and "op_us", the time of a small element-wise op in microseconds.
import json, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 0
if threads > 0:
    torch.set_num_threads(threads)
torch.manual_seed(0)
B = 32

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 32, 3, padding=1)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1)
        self.c3 = nn.Conv2d(64, 128, 3, padding=1)
        self.fc = nn.Linear(128, 2)
    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)
        x = F.max_pool2d(F.relu(self.c3(x)), 2)
        x = x.mean((2, 3))
        return self.fc(x)

def measure(fmt):
    net = Net().to(memory_format=fmt)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(B, 3, 64, 64).contiguous(memory_format=fmt)
    y = torch.randint(0, 2, (B,))

    def train_step():
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()

    for _ in range(3):
        train_step()
    t = time.perf_counter()
    c = time.process_time()
    for _ in range(steps):
        train_step()
    r = {'train': steps * B / (time.perf_counter() - t), 'train_cpu': steps * B / (time.process_time() - c)}
    net.eval()
    with torch.no_grad():
        for _ in range(3):
            net(x)
        t = time.perf_counter()
        c = time.process_time()
        for _ in range(steps):
            net(x)
        r['infer'] = steps * B / (time.perf_counter() - t)
        r['infer_cpu'] = steps * B / (time.process_time() - c)
    return r

out = measure(torch.contiguous_format)
out.update({'cl_' + k: v for k, v in measure(torch.channels_last).items()})

a = torch.ones(4)
b = torch.ones(4)
n = 100000
for _ in range(1000):
    a + b
t = time.perf_counter()
for _ in range(n):
    a + b
out['op_us'] = (time.perf_counter() - t) / n * 1e6
out['threads'] = torch.get_num_threads()
out['version'] = torch.__version__
print(json.dumps(out))
