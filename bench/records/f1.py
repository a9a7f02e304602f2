#!/usr/bin/env python3
"""polish bench — pairwise precision/recall/F1 of a cluster column against a truth file."""
import collections
import csv
import sys

out, truth_path, col = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "cluster_id"
truth = [line.strip() for line in open(truth_path)]
pred = [row[col] for row in csv.DictReader(open(out, newline="", encoding="utf-8-sig"))]
assert len(pred) == len(truth), (len(pred), len(truth))


def pairs_of(labels):
    groups = collections.Counter(labels)
    return sum(c * (c - 1) // 2 for c in groups.values())


both = pairs_of(list(zip(pred, truth)))
p_pairs, t_pairs = pairs_of(pred), pairs_of(truth)
prec = both / p_pairs if p_pairs else 1.0
rec = both / t_pairs if t_pairs else 1.0
f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
print(f"precision {prec:.4f} recall {rec:.4f} F1 {f1:.4f}")
