#!/usr/bin/env python3
"""Writes the wire fuzz target's seeds (tests/fuzz/corpus/wire/) from the
example plug-in's own answers: for each op, a Reset's reply and first view,
then the op's reply and the view after it, behind the 4 bytes that choose
the machine (2 pages, 4 frames, 2 procs, 2 words) and the op.

usage: tests/fuzz/wire_corpus.py build/cowcheck-worker build/plugins/libcow-example.so"""
import fcntl
import os
import struct
import subprocess
import sys

WORKER, PLUGIN = sys.argv[1], sys.argv[2]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "wire")
PAGES, FRAMES, PROCS, WORDS = 2, 4, 2, 2
MACHINE = bytes([(PAGES - 1) | (FRAMES - 1) << 2, (PROCS - 1) | (WORDS - 1) << 2])
RESET = 5
# name, index in wire_fuzz.cpp's kSampleOps, request words
# (code, pid, vpn, word, value, count, kind, rw, pin)
OPS = [("fork", 0, (1, 1, 0, 0, 0, 0, 0, 0, 0)),
       ("write", 1, (2, 1, 0, 0, 7, 0, 0, 0, 0)),
       ("read", 2, (3, 1, 0, 0, 0, 0, 0, 0, 0)),
       ("munmap", 6, (9, 1, 0, 0, 0, 1, 0, 0, 0)),
       ("swapout", 7, (10, 1, 0, 0, 0, 0, 0, 0, 0)),
       ("pin", 8, (11, 1, 0, 0, 0, 0, 0, 1, 0)),
       ("copyout", 10, (13, 1, 0, 0, 3, 0, 0, 0, 0))]


def read_exact(fd, n):
    data = b""
    while len(data) < n:
        chunk = os.read(fd, n - len(data))
        if not chunk:
            sys.exit("the worker stopped")
        data += chunk
    return data


def read_view(fd):
    header = read_exact(fd, 24)
    procs, ptes, frames, slots, pins, _ = struct.unpack("6I", header)
    return header + read_exact(fd, procs * 16 + ptes * 36 + frames * 28 + slots * 24 + pins * 16)


def capture(request):
    # Above the fixed numbers, so that placing them clobbers nothing.
    low = (*os.pipe(), *os.pipe())
    req_r, req_w, rep_r, rep_w = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in low)
    for fd in low:
        os.close(fd)

    def place():
        os.dup2(req_r, 3)
        os.dup2(rep_w, 4)

    worker = subprocess.Popen([WORKER, PLUGIN, str(PAGES), str(FRAMES), str(PROCS), str(WORDS),
                               "2", "0"], preexec_fn=place, close_fds=False)
    os.close(req_r), os.close(rep_w)
    hello = read_exact(rep_r, 28)
    if struct.unpack("7I", hello)[1] != 1:
        sys.exit("the plug-in was refused")
    read_view(rep_r)
    os.write(req_w, struct.pack("9I", RESET, 0, 0, 0, 0, 0, 0, 0, 0))
    stream = read_exact(rep_r, 20) + read_view(rep_r)
    os.write(req_w, struct.pack("9I", *request))
    reply = read_exact(rep_r, 20)
    stream += reply
    if struct.unpack("5I", reply)[0] != 6:  # COW_UNSUPPORTED has no view
        stream += read_view(rep_r)
    os.close(req_w)
    worker.wait()
    return stream


for name, index, request in OPS:
    with open(os.path.join(OUT, "example-" + name), "wb") as f:
        f.write(MACHINE + bytes([index, 0]) + capture(request))
