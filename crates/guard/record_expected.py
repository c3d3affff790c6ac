#!/usr/bin/env python3
"""Records what cfn-guard 3.1.1 says about every vendored rule file and fixture document.

The differential test (tests/differential.rs) compares the engine with these recordings, so
it runs without the binary. Re-record after changing the vendored rules or the fixtures:

    python3 tests/fixtures/mutate.py                 # regenerate the mutated documents
    python3 record_expected.py --cfn-guard PATH      # or --install to fetch the binary

PATH must be cfn-guard 3.1.1 (`cfn-guard --version`), the version
@cdklabs/cdk-validator-cfnguard bundles; 3.2 reports FAIL where a rule's filter selects
nothing, and the rules' own scenarios say SKIP. `--install DIR` downloads that npm package
(`npm pack @cdklabs/cdk-validator-cfnguard@0.0.62`) into DIR and uses its Linux x86-64
binary.

Each rule file is run alone against each document, as
`cfn-guard validate --rules FILE --data DOC --output-format json --show-summary none
--structured`, because cfn-guard abandons the whole report when one file's evaluation
fails. Per document and rule name the recording keeps the status (FAIL when the rule is in
`not_compliant`, else PASS when in `compliant`, else SKIP) and, for a failure, the logical
ids under `/Resources/` of the values its failed checks were made on: the checked value
of a unary check, the left-hand value of a comparison, the value a missing property was
looked up in. A failure with no such value is recorded as `null`. `named` lists the
resources any path in the rule's failure record is under, as .ci/guard_check.py reads
them to find the resources whose `Metadata.guard` must record the rule: a check on no
value sits in the record beside the values around it (a parameterized rule's argument, the
right-hand side it was compared with). A rule file whose evaluation cfn-guard abandons is
listed under `errors`.
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.join(HERE, "rules")
FIXTURES = os.path.join(HERE, "tests", "fixtures")
EXPECTED = os.path.join(FIXTURES, "expected")
PACKS = {
    "control-tower": os.path.join(RULES, "control-tower"),
    "fedramp-moderate": os.path.join(RULES, "registry", "fedramp-moderate"),
    "nist-800-53-rev5": os.path.join(RULES, "registry", "nist-800-53-rev5"),
}
NPM_PACKAGE = "@cdklabs/cdk-validator-cfnguard@0.0.62"
RESOURCE = re.compile(r"^/Resources/([^/]+)")


def install(directory):
    os.makedirs(directory, exist_ok=True)
    tarball = subprocess.run(["npm", "pack", NPM_PACKAGE, "--silent"], cwd=directory,
                             check=True, capture_output=True, text=True).stdout.strip()
    with tarfile.open(os.path.join(directory, tarball)) as archive:
        member = archive.getmember("package/bin/ubuntu/x86_64/cfn-guard")
        archive.extract(member, directory, filter="data")
    binary = os.path.join(directory, "package", "bin", "ubuntu", "x86_64", "cfn-guard")
    os.chmod(binary, 0o755)
    return binary


def documents():
    found = []
    for folder in ("source", "templates"):
        for name in sorted(os.listdir(os.path.join(FIXTURES, folder))):
            if name.endswith(".json"):
                found.append(os.path.join(FIXTURES, folder, name))
    return found


def rule_files(pack_dir):
    found = []
    for root, _, files in os.walk(pack_dir):
        for name in files:
            if name.endswith(".guard"):
                found.append(os.path.join(root, name))
    return sorted(found)


def failed_values(check, into):
    """The values a failed check was made on, as cfn-guard's structured report holds them."""
    if isinstance(check, dict):
        for key, value in check.items():
            if key == "Rule":
                for inner in value.get("checks", []):
                    failed_values(inner, into)
            elif key == "Disjunctions":
                for inner in value.get("checks", []):
                    failed_values(inner, into)
            elif key == "Block":
                unresolved = value.get("unresolved")
                into.append(unresolved["traversed_to"]["path"] if unresolved else None)
            elif key == "Clause":
                for kind in value.values():
                    inner = kind["check"]
                    if "Resolved" in inner:
                        resolved = inner["Resolved"]
                        into.append((resolved.get("value") or resolved.get("from"))["path"])
                    elif "InResolved" in inner:
                        into.append(inner["InResolved"]["from"]["path"])
                    elif "UnResolved" in inner:
                        into.append(inner["UnResolved"]["value"]["traversed_to"]["path"])
                    else:
                        into.append(None)
    return into


def all_paths(node, into):
    """Every `path` anywhere in a failure record."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "path" and isinstance(value, str):
                into.append(value)
            else:
                all_paths(value, into)
    elif isinstance(node, list):
        for value in node:
            all_paths(value, into)
    return into


def logical_ids(paths):
    ids = set()
    for path in paths:
        match = RESOURCE.match(path or "")
        ids.add(match.group(1) if match else None)
    return sorted(ids, key=lambda i: (i is None, i or ""))


def run(binary, rule_file, document):
    result = subprocess.run(
        [binary, "validate", "--rules", rule_file, "--data", document, "--output-format",
         "json", "--show-summary", "none", "--structured"],
        capture_output=True, text=True)
    if result.returncode not in (0, 19) or not result.stdout.strip():
        return None
    rules = {}
    for report in json.loads(result.stdout):
        for name in report.get("not_applicable", []):
            rules.setdefault(name, {"status": "SKIP"})
        for name in report.get("compliant", []):
            rules[name] = {"status": "PASS"}
        for failure in report.get("not_compliant", []):
            rule = failure["Rule"]
            paths = []
            for check in rule.get("checks", []):
                failed_values(check, paths)
            named = {m.group(1) for p in all_paths(failure, []) if (m := RESOURCE.match(p))}
            previous = rules.get(rule["name"], {})
            rules[rule["name"]] = {
                "status": "FAIL",
                "resources": sorted(set(logical_ids(paths)) | set(previous.get("resources", [])),
                                    key=lambda i: (i is None, i or "")),
                "named": sorted(named | set(previous.get("named", []))),
            }
    return rules


def record(binary, pack, pack_dir, docs):
    files = rule_files(pack_dir)
    jobs = [(doc, rule_file) for doc in docs for rule_file in files]
    expected = {os.path.basename(doc): {"rules": {}, "errors": []} for doc in docs}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(lambda job: run(binary, job[1], job[0]), jobs)
        for (doc, rule_file), rules in zip(jobs, results):
            entry = expected[os.path.basename(doc)]
            if rules is None:
                entry["errors"].append(os.path.relpath(rule_file, pack_dir))
                continue
            entry["rules"].update(rules)
    for entry in expected.values():
        entry["rules"] = dict(sorted(entry["rules"].items()))
        entry["errors"].sort()
    os.makedirs(EXPECTED, exist_ok=True)
    with open(os.path.join(EXPECTED, pack + ".json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    failing = sum(1 for e in expected.values() for r in e["rules"].values() if r["status"] == "FAIL")
    print(f"{pack}: {len(files)} rule files x {len(docs)} documents, {failing} failing rule results")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--cfn-guard", help="path to the cfn-guard 3.1.1 binary")
    source.add_argument("--install", metavar="DIR", help=f"download {NPM_PACKAGE} into DIR")
    args = parser.parse_args()
    binary = install(args.install) if args.install else args.cfn_guard
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
    if "3.1.1" not in version:
        sys.exit(f"{binary} is {version.strip() or 'not runnable'}; the recordings need 3.1.1")
    docs = documents()
    for pack, pack_dir in PACKS.items():
        record(binary, pack, pack_dir, docs)


if __name__ == "__main__":
    main()
