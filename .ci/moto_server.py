#!/usr/bin/env python3
"""Starts moto's server for the deploy tests, after working around three moto bugs.

Usage: .ci/moto_server.py [--exit-with-stdin] -H 127.0.0.1 -p PORT

The arguments are `moto_server`'s. With `--exit-with-stdin` the server exits when its
standard input closes: the deploy tests hand it a pipe, so the server goes away with the
test process however that ends (a static in a test binary is never dropped).

moto 5.2.5's RDS parameter-group models have no `physical_resource_id`, so a `Ref` from an
`AWS::RDS::DBInstance` to an `AWS::RDS::DBParameterGroup` in the same template resolves to
the model object instead of the group's name and the server crashes with an AttributeError
in `is_default_parameter_group`. Real CloudFormation resolves that `Ref` to the name, so the
fix belongs in the emulator, never in the templates stackwright writes. Remove this patch
when a moto release gives the models the property (the `hasattr` check makes it a no-op
then).

moto 5.2.5 also expects an `AWS::SSM::Parameter`'s `Tags` as a list of Key/Value pairs,
while CloudFormation's schema (and so stackwright, applying stack tags) writes a map; the
server crashes with a TypeError in `put_parameter`. The launcher turns the map into the list
moto wants on the way in.

And moto 5.2.5 executes a change set without the region's exports (so `Fn::ImportValue` in
a stack created through a change set fails: "No export named ...") and records no outputs
or exports afterwards. Real CloudFormation does both, and every stackwright deploy goes
through a change set, so an app with cross-stack references (the reference example) could
not be deployed to moto at all. The launcher hands the stack the exports before executing
and records its outputs and exports after, as moto's own `create_stack` does. The deploy
code does not rely on it: reading outputs is tested over recorded responses too.
"""

import os
import sys
import threading

from moto.cloudformation import models as cfn_models
from moto.cloudformation.parsing import clean_json
from moto.rds import models as rds_models
from moto.ssm import models as ssm_models


def _name(self):
    return self.name


for model in (rds_models.DBParameterGroup, rds_models.DBClusterParameterGroup):
    if not hasattr(model, "physical_resource_id"):
        model.physical_resource_id = property(_name)



def _tags_as_list(cloudformation_json):
    props = cloudformation_json.get("Properties") or {}
    tags = props.get("Tags")
    if isinstance(tags, dict):
        props["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return cloudformation_json


def _with_listed_tags(method, json_position):
    original = method.__func__

    def patched(cls, *args, **kwargs):
        args = list(args)
        if len(args) > json_position:
            args[json_position] = _tags_as_list(args[json_position])
        elif "cloudformation_json" in kwargs:
            kwargs["cloudformation_json"] = _tags_as_list(kwargs["cloudformation_json"])
        return original(cls, *args, **kwargs)

    return classmethod(patched)


_ssm = ssm_models.Parameter
_ssm.create_from_cloudformation_json = _with_listed_tags(_ssm.create_from_cloudformation_json, 1)
_ssm.update_from_cloudformation_json = _with_listed_tags(_ssm.update_from_cloudformation_json, 2)

_execute_change_set = cfn_models.CloudFormationBackend.execute_change_set


def _find_change_set(backend, change_set_name, stack_name):
    if change_set_name in backend.change_sets:
        return backend.change_sets[change_set_name]
    for cs in backend.change_sets.values():
        if cs.change_set_name == change_set_name and stack_name in (None, cs.stack_name, cs.stack_id):
            return cs
    return None


def execute_change_set(self, change_set_name, stack_name=None):
    cs = _find_change_set(self, change_set_name, stack_name)
    stack = self.stacks.get(cs.stack_id) if cs is not None else None
    if stack is None:
        return _execute_change_set(self, change_set_name, stack_name)
    stack.cross_stack_resources = self.exports
    stack.resource_map.cross_stack_resources = self.exports
    for export in stack.exports:
        self.exports.pop(export.name, None)
    _execute_change_set(self, change_set_name, stack_name)
    stack._parse_template()
    stack.output_map = stack._create_output_map()
    _drop_unresolvable_outputs(stack.output_map)
    self._validate_export_uniqueness(stack)
    for export in stack.exports:
        self.exports[export.name] = export


def _drop_unresolvable_outputs(output_map):
    # Some attributes moto's models cannot give (Fn::GetAtt of a Route 53 zone, say); an
    # output using one would crash every later DescribeStacks. Such outputs are left out.
    kept = {}
    for key, value in (output_map._output_json_map or {}).items():
        try:
            clean_json(value.get("Value"), output_map._resource_map)
            if value.get("Export"):
                clean_json(value["Export"].get("Name"), output_map._resource_map)
            kept[key] = value
        except Exception:  # noqa: BLE001  (whatever moto raises, the output is unknowable)
            pass
    output_map._output_json_map = kept


cfn_models.CloudFormationBackend.execute_change_set = execute_change_set

from moto.server import main  # noqa: E402  (after the patches, on purpose)



def _exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--exit-with-stdin" in args:
        args.remove("--exit-with-stdin")
        threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    sys.exit(main(args))
