#!/usr/bin/env python3
"""Writes the Spark package's CRD templates (packages/spark/templates/crds/*.yaml).

The Spark types come from v1beta2.yaml (next to this file); the Kubernetes core/v1 types they
embed (Volume, Container, Affinity, EnvVar, ...) are expanded from the OpenAPI v3 document a
kube-apiserver serves at /openapi/v3/api/v1, turned into structural schemas: descriptions,
defaults, enums and the x-kubernetes-list/patch/map markers of core types are left out (a CRD
cannot carry list-map keys that are neither required nor defaulted, and the enums of one
Kubernetes release would refuse values of the next); resource.Quantity and IntOrString become
int-or-string, Time a date-time string, ObjectMeta the fields a user may set.

Usage, from the repository root, with the test cluster running (./dev cluster up):
    ./dev kubectl get --raw /openapi/v3/api/v1 > /tmp/core-v1.json
    python3 tests/tools/sparkcrd/gen.py /tmp/core-v1.json
or `python3 tests/tools/sparkcrd/gen.py --check /tmp/core-v1.json` to fail when the committed
files differ from what would be written.
"""
import json
import os
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
OUT = os.path.join(ROOT, "packages", "spark", "templates", "crds")

CORE = "io.k8s.api.core.v1."
INT_OR_STRING = {"x-kubernetes-int-or-string": True, "anyOf": [{"type": "integer"}, {"type": "string"}]}
SPECIAL = {
    "io.k8s.apimachinery.pkg.api.resource.Quantity": INT_OR_STRING,
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": INT_OR_STRING,
    "io.k8s.apimachinery.pkg.apis.meta.v1.Time": {"type": "string", "format": "date-time"},
    "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime": {"type": "string", "format": "date-time"},
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "generateName": {"type": "string"},
            "namespace": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
            "finalizers": {"type": "array", "items": {"type": "string"}},
        },
    },
}
# Formats a structural schema keeps; the rest (byte, int-or-string, ...) are dropped.
FORMATS = {"int32", "int64", "double", "float", "date-time"}
# Validation kept on our own (Spark) types, from their +kubebuilder markers.
OWN_KEYS = ("enum", "minimum", "maximum", "pattern", "nullable")


class Gen:
    def __init__(self, openapi, types):
        self.components = openapi["components"]["schemas"]
        self.types = types
        self.stack = []

    def core(self, key):
        if key in SPECIAL:
            return json.loads(json.dumps(SPECIAL[key]))
        if key not in self.components:
            raise SystemExit(f"gen.py: the OpenAPI document has no {key}")
        if key in self.stack:
            raise SystemExit(f"gen.py: recursive type {' -> '.join(self.stack + [key])}")
        self.stack.append(key)
        out = self.schema(self.components[key], own=False)
        self.stack.pop()
        return out

    def schema(self, node, own):
        if "$core" in node:
            name = node["$core"]
            if name == "Quantity":
                return self.core("io.k8s.apimachinery.pkg.api.resource.Quantity")
            return self.core(CORE + name)
        if "$ref" in node:
            ref = node["$ref"]
            if ref.startswith("#/components/schemas/"):
                return self.core(ref[len("#/components/schemas/"):])
            if ref not in self.types:
                raise SystemExit(f"gen.py: unknown type {ref}")
            return self.schema(self.types[ref], own=True)
        if "allOf" in node:
            if len(node["allOf"]) != 1:
                raise SystemExit(f"gen.py: allOf with {len(node['allOf'])} members")
            return self.schema(node["allOf"][0], own)
        if "oneOf" in node:
            kinds = sorted(o.get("type") for o in node["oneOf"])
            if kinds in (["integer", "string"], ["number", "string"]):
                return json.loads(json.dumps(INT_OR_STRING))
            raise SystemExit(f"gen.py: oneOf {kinds} has no structural form")
        out = {}
        t = node.get("type")
        if t is None:
            if "properties" in node:
                t = "object"
            elif "items" in node:
                t = "array"
            elif node.get("x-kubernetes-preserve-unknown-fields"):
                t = None
            else:
                raise SystemExit(f"gen.py: a schema without type under {self.stack}: {node}")
        if t:
            out["type"] = t
        if node.get("format") in FORMATS:
            out["format"] = node["format"]
        if own:
            for k in OWN_KEYS:
                if k in node:
                    out[k] = node[k]
        if node.get("required"):
            out["required"] = list(node["required"])
        if "properties" in node:
            out["properties"] = {k: self.schema(v, own) for k, v in node["properties"].items()}
        if "items" in node:
            out["items"] = self.schema(node["items"], own)
        ap = node.get("additionalProperties")
        if isinstance(ap, dict):
            out["additionalProperties"] = self.schema(ap, own)
        if node.get("x-kubernetes-preserve-unknown-fields"):
            out["x-kubernetes-preserve-unknown-fields"] = True
        return out


class Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def dump(schema, indent):
    text = yaml.dump(schema, Dumper=Dumper, sort_keys=False, default_flow_style=None, width=100)
    if "{{" in text or "}}" in text:
        raise SystemExit("gen.py: the schema holds Go template delimiters")
    pad = " " * indent
    return "".join(pad + line + "\n" if line else "\n" for line in text.splitlines())


HEADER = """\
# GENERATED by tests/tools/sparkcrd/gen.py from tests/tools/sparkcrd/v1beta2.yaml and the
# Kubernetes core/v1 OpenAPI schema; edit those, not this file.
{{{{- if has .Params.createCRDs (list "1" "t" "T" "TRUE" "true" "True") }}}}
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.sparkoperator.k8s.io
  labels:
    app.kubernetes.io/name: spark-operator
    app.kubernetes.io/component: crd
  annotations:
    # sparkoperator.k8s.io is under k8s.io, a group the apiserver protects: the annotation must
    # say whether the API was approved; "unapproved" is accepted and reported as such.
    api-approved.kubernetes.io: "unapproved, Spark operator CRDs packaged by kudoc"
    # Never pruned by an update or upgrade that stops rendering it: deleting the CRD deletes
    # every SparkApplication in the cluster (uninstall --delete-crds does it on purpose).
    kudoc.dev/keep: "true"
spec:
  group: sparkoperator.k8s.io
  scope: Namespaced
  names:
    kind: {kind}
    listKind: {kind}List
    plural: {plural}
    singular: {singular}
    shortNames: [{short}]
  versions:
    - name: v1beta2
      served: true
      storage: true
      subresources:
        status: {{}}
      additionalPrinterColumns:
{columns}      schema:
        openAPIV3Schema:
"""

KINDS = {
    "SparkApplication": {
        "plural": "sparkapplications", "singular": "sparkapplication", "short": "sparkapp",
        "columns": [("Status", "string", ".status.applicationState.state"),
                    ("Attempts", "integer", ".status.executionAttempts"),
                    ("Start", "string", ".status.lastSubmissionAttemptTime"),
                    ("Finish", "string", ".status.terminationTime"),
                    ("Age", "date", ".metadata.creationTimestamp")],
    },
    "ScheduledSparkApplication": {
        "plural": "scheduledsparkapplications", "singular": "scheduledsparkapplication",
        "short": "scheduledsparkapp",
        "columns": [("Schedule", "string", ".spec.schedule"),
                    ("Suspend", "boolean", ".spec.suspend"),
                    ("Last Run", "date", ".status.lastRun"),
                    ("Last Run Age", "date", ".status.lastRun"),
                    ("State", "string", ".status.scheduleState")],
    },
}


def render(gen, kind, parts):
    info = KINDS[kind]
    cols = "".join(f"        - name: {n}\n          type: {t}\n          jsonPath: {p}\n"
                   for n, t, p in info["columns"])
    root = {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": gen.schema(parts["spec"], own=True),
            "status": gen.schema(parts["status"], own=True),
        },
    }
    text = HEADER.format(kind=kind, columns=cols, **{k: v for k, v in info.items() if k != "columns"})
    return text + dump(root, 10) + "{{- end }}\n"


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if len(args) != 1:
        sys.exit(__doc__)
    with open(args[0]) as f:
        openapi = json.load(f)
    with open(os.path.join(HERE, "v1beta2.yaml")) as f:
        src = yaml.safe_load(f)
    gen = Gen(openapi, src["types"])
    stale = []
    for kind, parts in src["kinds"].items():
        path = os.path.join(OUT, KINDS[kind]["plural"] + ".yaml")
        text = render(gen, kind, parts)
        old = open(path).read() if os.path.exists(path) else None
        if check:
            if old != text:
                stale.append(path)
            continue
        with open(path, "w") as f:
            f.write(text)
        print(f"wrote {os.path.relpath(path, ROOT)} ({text.count(chr(10))} lines)")
    if stale:
        sys.exit("gen.py: out of date: " + ", ".join(stale))


if __name__ == "__main__":
    main(sys.argv[1:])
