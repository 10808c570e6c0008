"""Writes attention.wav: a short two-note chime, synthesised here (no third-party audio).

python assets/sounds/make_chime.py
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22_050
NOTES = ((880.0, 0.16), (1318.5, 0.30))  # A5 then E6


def samples() -> list[int]:
    out: list[int] = []
    for frequency, seconds in NOTES:
        count = int(RATE * seconds)
        for i in range(count):
            t = i / RATE
            envelope = min(1.0, i / (RATE * 0.005)) * math.exp(-6.0 * t / seconds)
            value = 0.6 * math.sin(2 * math.pi * frequency * t) + 0.15 * math.sin(4 * math.pi * frequency * t)
            out.append(int(max(-1.0, min(1.0, value * envelope)) * 32_000))
    return out


def main() -> None:
    target = Path(__file__).with_name("attention.wav")
    with wave.open(str(target), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(struct.pack(f"<{len(samples())}h", *samples()))
    print(f"wrote {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
