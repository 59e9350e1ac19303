#!/usr/bin/env python3
"""Writes examples/tftpboot/chirplow.raw: a custom ring as GUIDE.md §8.1 specifies it —
raw mu-law, 8000 samples/s, mono, no header, a sample count divisible by 240 (2400 = 0.3 s),
starting and ending at a zero crossing (a half-sine envelope on a rising chirp)."""
import math
import sys


def ulaw(sample: int) -> int:
    """G.711 mu-law encoding of one 16-bit linear sample."""
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    s = min(abs(sample), clip) + bias
    exponent, v = 0, s >> 7
    while v > 1 and exponent < 7:
        v >>= 1
        exponent += 1
    mantissa = (s >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def main(path: str) -> None:
    n = 2400
    out = bytearray()
    for i in range(n):
        t = i / 8000.0
        freq = 600 + 1400 * i / n
        envelope = math.sin(math.pi * i / n)
        out.append(ulaw(int(12000 * envelope * math.sin(2 * math.pi * freq * t))))
    with open(path, "wb") as f:
        f.write(out)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "examples/tftpboot/chirplow.raw")
