#!/usr/bin/env python3
"""Extract fuzz seeds from captures: each IKE message (UDP 500, or UDP 4500 after the non-ESP
marker) becomes corpora/ike_message/seed-<capture>-<frame>.bin, and each UDP 4500 payload becomes
corpora/udp_4500_datagram/seed-<capture>-<frame>.bin. Uses tshark to read the capture.

Usage: python3 scripts/extract-seeds.py corpora/captures/*/capture.pcap*
"""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main(paths):
    ike_dir = ROOT / "corpora/ike_message"
    udp_dir = ROOT / "corpora/udp_4500_datagram"
    ike_dir.mkdir(parents=True, exist_ok=True)
    udp_dir.mkdir(parents=True, exist_ok=True)
    for path in paths:
        path = pathlib.Path(path)
        name = path.parent.name
        out = subprocess.run(
            ["tshark", "-r", str(path), "-Y", "udp.port == 500 || udp.port == 4500",
             "-T", "fields", "-e", "frame.number", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.payload"],
            check=True, capture_output=True, text=True).stdout
        seen_esp = 0
        for line in out.splitlines():
            frame, sport, dport, payload = (line.split("\t") + [""] * 4)[:4]
            data = bytes.fromhex(payload.replace(":", ""))
            natt = "4500" in (sport, dport)
            if natt:
                is_esp = len(data) > 1 and data[:4] != b"\0\0\0\0"
                # Keep a few ESP packets only: they are all alike to the demultiplexer.
                if is_esp:
                    seen_esp += 1
                    if seen_esp > 3:
                        continue
                (udp_dir / f"seed-{name}-{frame}.bin").write_bytes(data)
                if data[:4] == b"\0\0\0\0":
                    (ike_dir / f"seed-{name}-{frame}.bin").write_bytes(data[4:])
            else:
                (ike_dir / f"seed-{name}-{frame}.bin").write_bytes(data)
    print(f"{len(list(ike_dir.glob('seed-*')))} IKE seeds, {len(list(udp_dir.glob('seed-*')))} UDP 4500 seeds")


if __name__ == "__main__":
    main(sys.argv[1:])
