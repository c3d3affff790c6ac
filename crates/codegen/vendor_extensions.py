"""Vendors cfn-lint's schema extensions (cfnlint/data/schemas/extensions/) that
stackwright-codegen generates cross-property constraints from, and the index of where
cfn-lint applies each one (read from the rules in cfnlint/rules/ that load it).

Run with the Python of an environment that has the pinned cfn-lint installed:

    .venv/bin/python crates/codegen/vendor_extensions.py

Writes crates/codegen/schemas/extensions/<dir>/<file>.json (pretty, sorted keys) and
crates/codegen/schemas/extensions/rules.json; SOURCE.md beside them lists what was left
out and why. The per-region catalogs of allowed values go, compacted, to
crates/synth/data/catalogs.txt (see `write_catalogs`), which synth checks directly.
"""

import ast
import glob
import json
import os
import re
import shutil

import cfnlint

ROOT = os.path.dirname(cfnlint.__file__)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schemas", "extensions")
CATALOGS = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "synth", "data", "catalogs.txt"
)
DEPRECATED = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "synth", "data", "rds-deprecated-versions.txt"
)
DEPRECATED_VENDORED = (
    "deprecated engine versions: vendored to `crates/synth/data/rds-deprecated-versions.txt`,"
    " which synth warns about as cfn-lint does"
)
CATALOG = "a per-region catalog of allowed values, not a cross-property rule"
CATALOG_VENDORED = "a per-region catalog of allowed values: vendored to `crates/synth/data/catalogs.txt`"


def rules():
    """(rule id, extension dir, file name, keywords) of every rule that loads one."""
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, "rules", "**", "*.py"), recursive=True)):
        src = open(path, encoding="utf-8").read()
        if "SchemaDetails" not in src or "schemas.extensions" not in src:
            continue
        for cls in [n for n in ast.parse(src).body if isinstance(n, ast.ClassDef)]:
            rid, keywords, details = None, None, []
            for n in ast.walk(cls):
                if isinstance(n, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "id" for t in n.targets
                ):
                    rid = n.value.value
                if isinstance(n, ast.keyword) and n.arg == "keywords":
                    keywords = ast.literal_eval(n.value)
                if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "SchemaDetails":
                    args = [a for a in n.args] + [k.value for k in n.keywords]
                    if len(args) == 2 and isinstance(args[1], ast.Constant):
                        details.append((ast.unparse(args[0]).rsplit(".", 1)[-1], args[1].value))
            for module, filename in details:
                found.append(
                    {
                        "rule": rid,
                        "class": cls.name,
                        "source": os.path.relpath(path, ROOT),
                        "extension": f"{module}/{filename}",
                        "keywords": keywords or [],
                    }
                )
    return found


REGIONS = ("us-east-1", "eu-west-1", "ap-south-1")


def skip_reason(rule, schema):
    if not rule["rule"].startswith("E"):
        return "cfn-lint only warns (a W or I rule): CloudFormation accepts the template"
    if any(r in schema for r in REGIONS):
        return CATALOG
    if "cfnGather" in json.dumps(schema):
        return "needs the values of other resources (cfnGather), which synth does not resolve"
    if len(json.dumps(schema)) > 1_000_000:
        return (
            "a catalog of instance classes per engine and engine version (5 MB, not per"
            " region), left out for its size; E3025 checks the class per engine and region"
        )
    return None


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    index, skipped = [], []
    for rule in rules():
        src = os.path.join(ROOT, "data", "schemas", "extensions", rule["extension"])
        schema = json.load(open(src, encoding="utf-8"))
        reason = skip_reason(rule, schema)
        if reason:
            skipped.append({**rule, "reason": reason})
            continue
        dest = os.path.join(OUT, rule["extension"])
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with open(dest, "w", encoding="utf-8") as f:
            json.dump(schema, f, indent=1, sort_keys=True)
            f.write("\n")
        index.append(rule)
    catalogs = [r for r in skipped if r["reason"] == CATALOG]
    write_catalogs(catalogs)
    for r in catalogs:
        r["reason"] = CATALOG_VENDORED
    with open(os.path.join(OUT, "rules.json"), "w", encoding="utf-8") as f:
        json.dump({"applied": index, "skipped": skipped}, f, indent=1, sort_keys=True)
        f.write("\n")
    deprecated = write_deprecated_versions()
    for r in skipped:
        if r["rule"] in ("W3690", "W3691"):
            r["reason"] = DEPRECATED_VENDORED
    write_source(index, skipped)
    print(f"vendored {len(index)} rules into {OUT}; {len(skipped)} left out")
    print(f"vendored {deprecated} deprecated engine versions into {DEPRECATED}")
    print(f"vendored {len(catalogs)} catalogs into {CATALOGS}: {os.path.getsize(CATALOGS)} bytes")


REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")


def catalog_cases(rule, schema):
    """(property, [(conditions, {region: values})]) of one per-region catalog.

    A region's entry is `{"enum": [...]}` on the property the rule's keyword names, or
    (RDS) `{"allOf": [{"if": ..., "then": {"properties": {P: {"enum": [...]}}}}]}` on a
    property P of the object the keyword names, each `if` requiring other properties to
    be constants (`Name=value`) or absent (`Name!`, the schema's `Name: false`).
    """
    cases, prop = {}, None
    for region, entry in sorted(schema.items()):
        if not REGION.match(region):
            continue  # "description", "all" (an empty placeholder cfn-lint never selects)
        if "enum" in entry and len(entry) == 1:
            cases.setdefault((), {})[region] = entry["enum"]
            continue
        assert list(entry) == ["allOf"], (rule["rule"], region, list(entry))
        for item in entry["allOf"]:
            assert sorted(item) == ["if", "then"], item
            (p, then), = item["then"]["properties"].items()
            assert list(then) == ["enum"] and prop in (None, p), (p, then)
            prop, conds = p, []
            required = set(item["if"]["required"])
            for name, test in sorted(item["if"]["properties"].items()):
                if name == p:
                    assert test == {"type": "string"} and name in required, test
                elif test is False:
                    conds.append(f"{name}!")
                else:
                    assert list(test) == ["const"] and name in required, test
                    assert " " not in test["const"] and "&" not in test["const"]
                    conds.append(f"{name}={test['const']}")
            # allOf: where two branches have the same `if`, a value must pass both.
            got = cases.setdefault(tuple(conds), {})
            got[region] = [v for v in got.get(region, then["enum"]) if v in then["enum"]]
    return prop, sorted(cases.items())


def date():
    path = os.path.join(ROOT, "data", "schemas", "version.json")
    return json.load(open(path, encoding="utf-8"))["schema_date"]


def write_catalogs(catalogs):
    """Writes the per-region catalogs as one text file synth searches in place.

    Per catalog, its distinct values once (sorted: a binary search finds a value's
    index) and each distinct region list once, as a bitmap over those values in hex
    (digit k holds values 4k..4k+3, lowest bit first); regions name their list by
    number. An index at the top says which rule applies which catalog where.
    """
    version = getattr(cfnlint, "__version__", None)
    if version is None:
        from cfnlint.version import __version__ as version
    targets, blocks = [], []
    for n, rule in enumerate(sorted(catalogs, key=lambda r: r["extension"])):
        src = os.path.join(ROOT, "data", "schemas", "extensions", rule["extension"])
        schema = json.load(open(src, encoding="utf-8"))
        prop, cases = catalog_cases(rule, schema)
        code = open(os.path.join(ROOT, rule["source"]), encoding="utf-8").read()
        folded = re.findall(r'instance\["(\w+)"\] = instance\["\1"\]\.lower\(\)', code)
        for kw in rule["keywords"]:
            parts = kw.split("/")
            assert parts[0] == "Resources" and parts[2] == "Properties", kw
            path = "/".join(parts[3:] + ([prop] if prop else []))
            fold = ",".join(f"{f}:lower" for f in folded) or "-"
            targets.append(f"T {rule['rule']} {parts[1]} {path} {n} {fold}")
        values = sorted({v for _, regions in cases for vs in regions.values() for v in vs})
        assert all(" " not in v and v for v in values), rule["extension"]
        at = {v: i for i, v in enumerate(values)}
        sets, lines = {}, []
        for conds, regions in cases:
            pairs = []
            for region, vs in regions.items():
                bits = [0] * ((len(values) + 3) // 4)
                for v in vs:
                    bits[at[v] // 4] |= 1 << (at[v] % 4)
                hexed = "".join("0123456789abcdef"[b] for b in bits)
                pairs.append(f"{region}:{sets.setdefault(hexed, len(sets))}")
            lines.append(f"W {'&'.join(conds) or '-'} {' '.join(pairs)}")
        block = [f"C {n} {rule['extension']}", "V " + " ".join(values)]
        block += [f"S {h}" for h in sets] + lines
        blocks.append("\n".join(block))
    header = [
        "# Per-region catalogs of allowed values (instance types, node types, DB classes).",
        f"# Source: cfn-lint {version} (PyPI), cfnlint/data/schemas/extensions/*/*_enum.json",
        "# (the files named on the C lines) and the rules in cfnlint/rules/ that apply them;",
        f"# MIT-0. Data as of schema_date {date()}. Written by",
        "# crates/codegen/vendor_extensions.py; do not edit.",
        "# T <rule> <type> <property path, * for list items> <catalog> <sibling folding>",
        "# C <catalog> <file>; V <values, sorted>; S <bitmap over V, hex, low bit first>",
        "# W <conditions on siblings: Name=value, Name! absent, & between; - none> <region>:<S>...",
    ]
    os.makedirs(os.path.dirname(CATALOGS), exist_ok=True)
    with open(CATALOGS, "w", encoding="utf-8") as f:
        f.write("\n".join(header + targets + blocks) + "\n")


def engine_versions(path):
    """{engine: [versions]} from an engine_version(_deprecated).json extension."""
    schema = json.load(open(path, encoding="utf-8"))
    out = {}
    for case in schema.get("allOf", []):
        engine = case.get("if", {}).get("properties", {}).get("Engine", {}).get("const")
        props = case.get("if", {}).get("properties", {})
        listed = props.get("EngineVersion", {}).get("enum")
        if listed is None:
            listed = case.get("then", {}).get("properties", {}).get("EngineVersion", {}).get("enum")
        if engine and listed:
            out[engine] = [str(v) for v in listed]
    return out


def write_deprecated_versions():
    """Writes RDS's deprecated engine versions (W3690 clusters, W3691 instances).

    RDS creates no new database with a deprecated version, though existing ones keep it,
    so synth warns as cfn-lint does. cfn-lint also lists major lines ("16") whose newest
    releases are current: a major line with a current release is left out, since RDS
    picks that release for it.
    """
    version = getattr(cfnlint, "__version__", None)
    if version is None:
        from cfnlint.version import __version__ as version
    lines = []
    for type_name, folder in (("AWS::RDS::DBCluster", "aws_rds_dbcluster"),
                              ("AWS::RDS::DBInstance", "aws_rds_dbinstance")):
        base = os.path.join(ROOT, "data", "schemas", "extensions", folder)
        valid = engine_versions(os.path.join(base, "engine_version.json"))
        deprecated = engine_versions(os.path.join(base, "engine_version_deprecated.json"))
        for engine in sorted(deprecated):
            old = set(deprecated[engine])
            current = set(valid.get(engine, [])) - old
            kept = sorted(v for v in old if not any(c.startswith(v + ".") for c in current))
            assert all(" " not in v for v in kept), engine
            lines.append(f"{type_name} {engine} {' '.join(kept)}")
    header = [
        "# RDS engine versions that are deprecated: RDS creates no new database with them.",
        f"# Source: cfn-lint {version} (PyPI), cfnlint/data/schemas/extensions/aws_rds_*/",
        "# engine_version_deprecated.json (W3690, W3691; from DescribeDBEngineVersions in",
        f"# us-east-1), MIT-0. Data as of schema_date {date()}. Major lines with a current",
        "# release are left out. Written by crates/codegen/vendor_extensions.py; do not edit.",
        "# <type> <engine> <versions, sorted>",
    ]
    with open(DEPRECATED, "w", encoding="utf-8") as f:
        f.write("\n".join(header + lines) + "\n")
    return sum(len(l.split(" ")) - 2 for l in lines)


def write_source(index, skipped):
    version = getattr(cfnlint, "__version__", None)
    if version is None:
        from cfnlint.version import __version__ as version
    lines = [
        "# Vendored cfn-lint schema extensions",
        "",
        "Cross-property rules cfn-lint keeps beside the resource schemas. `stackwright-codegen`",
        "compiles each into a constraint on the shapes cfn-lint applies it to (see",
        "`crates/codegen/src/constraints.rs`); synth's validation enforces them. Written by",
        "`crates/codegen/vendor_extensions.py`; do not edit by hand.",
        "",
        f"- Source: the `cfn-lint` package on PyPI, version {version}, directories",
        "  `cfnlint/data/schemas/extensions/` (the fragments) and `cfnlint/rules/` (where each",
        "  rule applies its fragment: the `keywords` and `SchemaDetails` of the rule's class).",
        "- Licence: MIT-0, as cfn-lint (Copyright Amazon.com, Inc. or its affiliates).",
        "- `rules.json`: `applied`, the rules generated from, with their keyword paths, and",
        "  `skipped`, the rules left out, each with its reason.",
        "- The per-region catalogs of allowed values (the rows \"vendored to",
        "  `crates/synth/data/catalogs.txt`\" below) are not compiled into constraints: the",
        "  script writes them, each distinct value and region list once, to that file,",
        f"  which synth's `validate/catalogs.rs` searches in place. Data as of {date()}",
        "  (`schema_date` of `cfnlint/data/schemas/version.json`).",
        "",
        "## Applied",
        "",
        "| Rule | File | Applied at |",
        "| --- | --- | --- |",
    ]
    for r in index:
        at = "<br>".join(f"`{k}`" for k in r["keywords"])
        lines.append(f"| {r['rule']} | `{r['extension']}` | {at} |")
    lines += ["", "## Left out", "", "| Rule | File | Why |", "| --- | --- | --- |"]
    for r in skipped:
        lines.append(f"| {r['rule']} | `{r['extension']}` | {r['reason']} |")
    with open(os.path.join(OUT, "SOURCE.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
