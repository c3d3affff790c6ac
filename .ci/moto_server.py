#!/usr/bin/env python3
"""Starts moto's server for the deploy tests, after working around moto bugs.

Usage: .ci/moto_server.py [--exit-with-stdin] -H 127.0.0.1 -p PORT

The arguments are `moto_server`'s. With `--exit-with-stdin` the server exits when its
standard input closes: the deploy tests hand it a pipe, so the server goes away with the
test process however that ends (a static in a test binary is never dropped).

Every patch below works around a bug of moto 5.2.5 in the emulator, never in the templates
stackwright writes: the templates are what real CloudFormation accepts, and a test that
passed only because a template bent to moto would prove nothing. Each is named and says
which bug it works around; where it can, it checks before patching, so it turns into a
no-op when a moto release fixes the bug. None of them makes a failure look like a success;
two make failures moto used to hide visible (`execute-once`, `delete-failed-stack`).

Creating stacks:
- `rds-parameter-group-ref`: a `Ref` to an `AWS::RDS::DBParameterGroup` crashes the server.
- `rds-adjacent-windows`: back-to-back backup and maintenance windows count as overlapping.
- `ssm-parameter-tags`: `AWS::SSM::Parameter` `Tags` as a map crash the server.
- `kms-key-tags`: `AWS::KMS::Key` `Tags` crash the server.
- `elbv2-forward-config`: a listener forwarding to weighted target groups crashes the server.
- `elbv2-attributes`: some load balancer and every target group `Fn::GetAtt` crash moto.
- `elbv2-listener-rule-attributes`: a listener rule's `RuleArn` crashes the server.
- `elbv2-target-health`: instances an Auto Scaling group terminates stay registered with
  its target groups, and `healthy`.
- `route53-zone-attributes`: a hosted zone's `Id` and `NameServers` cannot be read.
- `acm-certificate`: `AWS::CertificateManager::Certificate` is not modelled, so HTTPS
  listeners crash the server.
- `rds-managed-master-secret`: a DB instance's managed master secret is never made.
- `rds-aurora-cluster`: `AWS::RDS::DBCluster` is not modelled, and an instance naming its
  cluster crashes the server (`KeyError('aurora-postgresql')`).
- `rds-cluster-parameter-group`: `AWS::RDS::DBClusterParameterGroup` is not modelled, so a
  cluster gets moto's default group.
- `cloudwatch-alarms`: `AWS::CloudWatch::Alarm` is not modelled: a stack has no alarms.
- `secretsmanager-secret`, `elasticache-replication-group`: neither type is modelled, so
  nothing can import a secret's ARN or a cache's endpoint.
- `change-set-exports`: change sets run without the region's exports and record no outputs.
- `execute-once`: a change set whose execution failed could be executed again, "successfully".
- `change-set-parameters`: an unchanged stack with parameters cannot get a change set, and
  `UsePreviousValue` takes a parameter's resolved value.
- `parameter-readers`: a change of parameter values only updates the resources that `Ref`
  the parameter, not those reading it in an `Fn::Sub` or through a condition (a release's
  image tag, its colours' sizes).
- `review-stack-reused`: a CREATE change set for a stack left in `REVIEW_IN_PROGRESS` makes
  a second stack of the same name.
- `execute-as-cloudformation`: executing a change set leaves the stack's other change sets
  executable, ignores its tags and its `ClientRequestToken`, and crashes for a change set
  that is gone.
- `termination-protection`: `UpdateTerminationProtection` is not implemented, and
  `DeleteStack` ignores the protection.
- `list-imports`: `ListImports` is not implemented.

Deleting stacks:
- `ec2-delete-handlers`: route tables, routes, subnet associations, NAT gateways, EIPs,
  internet gateways and their attachments, VPC endpoints, flow logs and security group
  ingress rules created by a stack are never deleted with it, so its VPC cannot be.
- `elbv2-delete-handlers`: listeners and target groups are never deleted with their stack.
- `delete-in-dependency-order`: resources are deleted in no particular order.
- `delete-failed-stack`: a stack that fails to delete vanishes instead of `DELETE_FAILED`
  (and, put back, its exports could not be rendered again).

Reading what a release watches:
- `cloudwatch-rpc-v2-cbor`: CloudWatch is read only in the query protocol; the SDK clients
  of today speak Smithy RPC v2 CBOR to it, and moto answers them 404.
"""

import calendar
import datetime
import inspect
import json
import os
import re
import sys
import threading

from botocore.utils import parse_to_aware_datetime

try:
    import cbor2
except ImportError:
    sys.exit(
        "moto_server.py: the Python package cbor2 is missing (cloudwatch-rpc-v2-cbor needs it);"
        " install the pinned tools: pip install -r .ci/requirements.txt"
    )

from moto.acm import models as acm_models
from moto.cloudformation import exceptions as cfn_exceptions
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.parsing import clean_json
from moto.cloudwatch import models as cloudwatch_models
from moto.cloudwatch import responses as cloudwatch_responses
from moto.cloudwatch import urls as cloudwatch_urls
from moto.core import parse as moto_parse
from moto.core import serialize as moto_serialize
from moto.core.common_models import CloudFormationModel
from moto.core.utils import get_service_model
from moto.ec2.models import ec2_backends
from moto.ec2.models.elastic_ip_addresses import ElasticAddress
from moto.ec2.models.flow_logs import FlowLogs
from moto.ec2.models.instances import InstanceBackend
from moto.ec2.models.internet_gateways import InternetGateway
from moto.ec2.models.nat_gateways import NatGateway
from moto.ec2.models.route_tables import Route, RouteTable
from moto.ec2.models.security_groups import SecurityGroupIngress
from moto.ec2.models.subnets import SubnetRouteTableAssociation
from moto.ec2.models.vpcs import VPCEndPoint
from moto.ec2.models.vpn_gateway import VPCGatewayAttachment
from moto.elasticache import models as elasticache_models
from moto.elbv2 import models as elbv2_models
from moto.kms import models as kms_models
from moto.rds import models as rds_models
from moto.rds import utils as rds_utils
from moto.route53 import models as route53_models
from moto.secretsmanager import models as secretsmanager_models
from moto.ssm import models as ssm_models

# --- rds-parameter-group-ref ------------------------------------------------------------
# moto 5.2.5's RDS parameter-group models have no `physical_resource_id`, so a `Ref` from an
# `AWS::RDS::DBInstance` to an `AWS::RDS::DBParameterGroup` in the same template resolves to
# the model object instead of the group's name and the server crashes with an AttributeError
# in `is_default_parameter_group`. Real CloudFormation resolves that `Ref` to the name, so the
# fix belongs in the emulator, never in the templates stackwright writes. Remove this patch
# when a moto release gives the models the property (the `hasattr` check makes it a no-op
# then).


def _name(self):
    return self.name


for model in (rds_models.DBParameterGroup, rds_models.DBClusterParameterGroup):
    if not hasattr(model, "physical_resource_id"):
        model.physical_resource_id = property(_name)


# --- rds-adjacent-windows ---------------------------------------------------------------
# moto 5.2.5 counts a backup window and a maintenance window that only touch (backups
# 03:00-04:00, maintenance sun:04:00-sun:05:00) as overlapping: its overlap in seconds is 0
# and it refuses `>= 0`, so creating the DB instance fails. RDS refuses windows that
# overlap, not ones that meet, and back-to-back windows are common in working templates.
# The launcher reports a zero overlap as none; windows sharing even a minute still fail.

_overlap = rds_utils.get_overlap_between_two_date_ranges


def get_overlap_between_two_date_ranges(*args):
    seconds = _overlap(*args)
    return -1 if seconds == 0 else seconds


rds_utils.get_overlap_between_two_date_ranges = get_overlap_between_two_date_ranges


# --- ssm-parameter-tags, kms-key-tags ---------------------------------------------------
# moto 5.2.5 expects an `AWS::SSM::Parameter`'s `Tags` as a list of Key/Value pairs, while
# CloudFormation's schema (and so stackwright, applying stack tags) writes a map; the server
# crashes with a TypeError in `put_parameter`. The launcher turns the map into the list moto
# wants on the way in.
#
# An `AWS::KMS::Key`'s `Tags` are a list of Key/Value pairs in CloudFormation, but moto hands
# them unchanged to its KMS API code, which wants the API's TagKey/TagValue pairs: the server
# crashes with `KeyError: 'TagKey'` and every resource after the key in the template is never
# created. The launcher renames the fields on the way in.


def _tags_as_list(cloudformation_json):
    props = cloudformation_json.get("Properties") or {}
    tags = props.get("Tags")
    if isinstance(tags, dict):
        props["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
    return cloudformation_json


def _tags_as_kms_list(cloudformation_json):
    props = _tags_as_list(cloudformation_json).get("Properties") or {}
    tags = props.get("Tags")
    if isinstance(tags, list):
        props["Tags"] = [
            {"TagKey": t["Key"], "TagValue": t["Value"]} if "Key" in t else t for t in tags
        ]
    return cloudformation_json


def _with_listed_tags(method, json_position, convert=_tags_as_list):
    original = method.__func__

    def patched(cls, *args, **kwargs):
        args = list(args)
        if len(args) > json_position:
            args[json_position] = convert(args[json_position])
        elif "cloudformation_json" in kwargs:
            kwargs["cloudformation_json"] = convert(kwargs["cloudformation_json"])
        return original(cls, *args, **kwargs)

    return classmethod(patched)


_ssm = ssm_models.Parameter
_ssm.create_from_cloudformation_json = _with_listed_tags(_ssm.create_from_cloudformation_json, 1)
_ssm.update_from_cloudformation_json = _with_listed_tags(_ssm.update_from_cloudformation_json, 2)

_kms = kms_models.Key
_kms.create_from_cloudformation_json = _with_listed_tags(
    _kms.create_from_cloudformation_json, 1, _tags_as_kms_list
)

# --- elbv2-forward-config ---------------------------------------------------------------
# A listener's `forward` action may name its target groups in `ForwardConfig` (weighted, as
# stackwright's blue/green load balancer does) instead of `TargetGroupArn`. moto's API takes
# both, but its CloudFormation path reads `TargetGroupArn` unconditionally and the server
# crashes with `KeyError: 'TargetGroupArn'`. The launcher hands such actions to the listener
# as they are (moto's API code handles `ForwardConfig`) and lets moto convert the rest.

_convert_actions = elbv2_models.ELBv2Backend.convert_and_validate_properties


def _weighted_forward(action):
    return (
        action.get("Type") == "forward"
        and "TargetGroupArn" not in action
        and "ForwardConfig" in action
    )


def convert_and_validate_properties(self, properties):
    actions = properties["DefaultActions"]
    if not any(_weighted_forward(a) for a in actions):
        return _convert_actions(self, properties)
    others = [a for a in actions if not _weighted_forward(a)]
    converted = iter(_convert_actions(self, {**properties, "DefaultActions": others}))
    return [a if _weighted_forward(a) else next(converted) for a in actions]


elbv2_models.ELBv2Backend.convert_and_validate_properties = convert_and_validate_properties

# --- elbv2-attributes -------------------------------------------------------------------
# moto 5.2.5's load balancer model raises NotImplementedError for `Fn::GetAtt` of
# `CanonicalHostedZoneID`, `LoadBalancerFullName` and `SecurityGroups`, and its target
# group model answers no `Fn::GetAtt` at all; alias records, alarms and dashboards need
# them. The launcher answers them from moto's own objects, as AWS derives them: a full name
# is the ARN after `loadbalancer/` or the resource type's colon, and the hosted zone is the
# one moto reports through its API.

_LOAD_BALANCER_ATTRIBUTES = {
    "CanonicalHostedZoneID": lambda lb: lb.canonical_hosted_zone_id,
    "LoadBalancerFullName": lambda lb: lb.arn.split(":loadbalancer/", 1)[1],
    "SecurityGroups": lambda lb: list(lb.security_groups or []),
}
_TARGET_GROUP_ATTRIBUTES = {
    "TargetGroupFullName": lambda group: group.arn.split(":", 5)[5],
    "TargetGroupName": lambda group: group.name,
    "TargetGroupArn": lambda group: group.arn,
    "LoadBalancerArns": lambda group: list(group.load_balancer_arns),
}
_load_balancer_attribute = elbv2_models.FakeLoadBalancer.get_cfn_attribute


def _load_balancer_attribute_or_derived(self, attribute_name):
    if attribute_name in _LOAD_BALANCER_ATTRIBUTES:
        try:
            return _load_balancer_attribute(self, attribute_name)
        except NotImplementedError:
            return _LOAD_BALANCER_ATTRIBUTES[attribute_name](self)
    return _load_balancer_attribute(self, attribute_name)


def _target_group_attribute(self, attribute_name):
    if attribute_name in _TARGET_GROUP_ATTRIBUTES:
        return _TARGET_GROUP_ATTRIBUTES[attribute_name](self)
    raise cfn_exceptions.UnformattedGetAttTemplateException()


elbv2_models.FakeLoadBalancer.get_cfn_attribute = _load_balancer_attribute_or_derived
if "get_cfn_attribute" not in vars(elbv2_models.FakeTargetGroup):
    elbv2_models.FakeTargetGroup.get_cfn_attribute = _target_group_attribute

# --- elbv2-listener-rule-attributes -----------------------------------------------------
# moto 5.2.5's `AWS::ElasticLoadBalancingV2::ListenerRule` model answers no `Fn::GetAtt`:
# `RuleArn` (how an ECS service's blue/green deployment names its production and test
# rules) crashes the server with an AttributeError. Real CloudFormation gives `RuleArn` and
# `IsDefault`; the launcher answers both from moto's rule. Remove this patch when a moto
# release answers them (the `vars` check makes it a no-op then).

_RULE_ATTRIBUTES = {
    "RuleArn": lambda rule: rule.arn,
    "IsDefault": lambda rule: "true" if rule.is_default else "false",
}


def _rule_attribute(self, attribute_name):
    if attribute_name in _RULE_ATTRIBUTES:
        return _RULE_ATTRIBUTES[attribute_name](self)
    raise cfn_exceptions.UnformattedGetAttTemplateException()


def _rule_has_attribute(cls, attribute_name):
    return attribute_name in _RULE_ATTRIBUTES


_rule = elbv2_models.FakeListenerRule
if "get_cfn_attribute" not in vars(_rule):
    _rule.get_cfn_attribute = _rule_attribute
    _rule.has_cfn_attr = classmethod(_rule_has_attribute)

# --- elbv2-target-health ----------------------------------------------------------------
# moto 5.2.5 registers an Auto Scaling group's instances with the group's target groups
# (`TargetGroupARNs`), and `DescribeTargetHealth` reports them `healthy`. But it takes an
# instance out of its target groups only when `TerminateInstances` is called through the
# EC2 API: the instances an Auto Scaling group terminates itself (scaling in, the group
# deleted, or replaced by a stack update) stay registered, and `healthy`, for ever. So after
# a deploy that scales or replaces a fleet, a target group lists instances that are gone
# beside the ones serving. In AWS a terminated instance leaves its target groups. The
# launcher deregisters every instance moto terminates, however it came to be terminated,
# the way moto's `TerminateInstances` does (it is idempotent, so that path is unchanged).
# ECS services are not covered: moto's ECS starts no tasks for a service (and its
# CloudFormation model drops `LoadBalancers`), so there is nothing to register. Remove this
# patch when a moto release deregisters the instances a group terminates.

_terminate_instances = InstanceBackend.terminate_instances


def terminate_instances(self, instance_ids):
    terminated = _terminate_instances(self, instance_ids)
    ids = [instance.id for instance, _ in terminated]
    elbv2_models.elbv2_backends[self.account_id][self.region_name].notify_terminate_instances(ids)
    return terminated


InstanceBackend.terminate_instances = terminate_instances

# --- route53-zone-attributes ------------------------------------------------------------
# moto 5.2.5's `AWS::Route53::HostedZone` model answers no `Fn::GetAtt`: `Id` and
# `NameServers` (what a zone is exported and delegated by) crash moto's template code, so
# every stack importing the zone's id fails with "No export named ...". Real CloudFormation
# gives both. The launcher adds them from moto's own zone: its id without the `/hostedzone/`
# prefix, and its delegation set's name servers.


def _zone_attribute(self, attribute_name):
    if attribute_name == "Id":
        return self.resource_id
    if attribute_name == "NameServers":
        return list(self.delegation_set.name_servers) if self.delegation_set else []
    raise cfn_exceptions.UnformattedGetAttTemplateException()


def _zone_has_attribute(cls, attribute_name):
    return attribute_name in ("Id", "NameServers")


_zone = route53_models.FakeZone
if "get_cfn_attribute" not in vars(_zone):
    _zone.get_cfn_attribute = _zone_attribute
    _zone.has_cfn_attr = classmethod(_zone_has_attribute)

# --- acm-certificate --------------------------------------------------------------------
# moto 5.2.5 emulates ACM's API but has no CloudFormation model for
# `AWS::CertificateManager::Certificate`: it skips the resource, its `Ref` resolves to
# nothing, and an HTTPS listener using it crashes the server with
# `KeyError: 'CertificateArn'`. Real CloudFormation requests the certificate (validating it
# through the template's hosted zone) and the `Ref` is its ARN. The launcher adds the model:
# it requests the certificate through moto's own ACM code, which issues it at once, and
# deletes it with the stack. moto's model list is every direct subclass of
# `CloudFormationModel`, so defining the class registers it (unless moto has one by then).


def _modelled(resource_type):
    return resource_type in cfn_parsing.get_model_map()


def _model_base(resource_type):
    return object if _modelled(resource_type) else CloudFormationModel


class AcmCertificate(_model_base("AWS::CertificateManager::Certificate")):
    __module__ = "moto.acm.models"  # moto files each model under its module's service name

    def __init__(self, arn):
        self.arn = arn

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::CertificateManager::Certificate"

    @classmethod
    def has_cfn_attr(cls, attr):
        return False

    @property
    def physical_resource_id(self):
        return self.arn

    def is_created(self):
        return True

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        props = cloudformation_json["Properties"]
        arn = acm_models.acm_backends[account_id][region_name].request_certificate(
            domain_name=props["DomainName"],
            idempotency_token=None,
            subject_alt_names=props.get("SubjectAlternativeNames") or [],
            tags=props.get("Tags") or [],
        )
        return cls(arn)

    def delete(self, account_id, region_name):
        acm_models.acm_backends[account_id][region_name].delete_certificate(self.arn)


# --- rds-managed-master-secret ----------------------------------------------------------
# moto 5.2.5's API creates the Secrets Manager secret of a DB instance with
# `ManageMasterUserPassword`, but its CloudFormation path drops the property: no secret is
# made, and `Fn::GetAtt Database.MasterUserSecret.SecretArn` (how an app is handed its
# database credentials) crashes moto's template code. The launcher makes the secret through
# moto's own code after creating the instance (its KMS key as the template says), and
# answers the attribute. moto deletes the secret with the instance.

_db = rds_models.DBInstance
_create_db = _db.create_from_cloudformation_json.__func__
_db_attribute = _db.get_cfn_attribute
_db_has_attribute = _db.has_cfn_attr.__func__


def _create_db_with_secret(cls, resource_name, cloudformation_json, *args, **kwargs):
    database = _create_db(cls, resource_name, cloudformation_json, *args, **kwargs)
    props = cloudformation_json.get("Properties") or {}
    managed = props.get("ManageMasterUserPassword") in (True, "true")
    if managed and not hasattr(database, "master_user_secret"):
        key = (props.get("MasterUserSecret") or {}).get("KmsKeyId")
        database.update(manage_master_user_password=True, master_user_secret_kms_key_id=key)
    return database


def _db_attribute_with_secret(self, attribute_name):
    if attribute_name == "MasterUserSecret.SecretArn" and hasattr(self, "master_user_secret"):
        return self.master_user_secret.secret.arn
    return _db_attribute(self, attribute_name)


def _db_has_attribute_with_secret(cls, attribute_name):
    secret_arn = attribute_name == "MasterUserSecret.SecretArn"
    return secret_arn or _db_has_attribute(cls, attribute_name)


if not _db_has_attribute(_db, "MasterUserSecret.SecretArn"):
    _db.create_from_cloudformation_json = classmethod(_create_db_with_secret)
    _db.get_cfn_attribute = _db_attribute_with_secret
    _db.has_cfn_attr = classmethod(_db_has_attribute_with_secret)

# --- rds-aurora-cluster -----------------------------------------------------------------
# moto 5.2.5 emulates Aurora clusters through its RDS API, but its `DBCluster` is no
# CloudFormation model: an `AWS::RDS::DBCluster` is skipped, its `Ref` and attributes
# resolve to nothing, and the cluster's `AWS::RDS::DBInstance`s lose their
# `DBClusterIdentifier` on the way in (moto's CloudFormation path never reads it). Each is
# then created as a stand-alone instance of engine `aurora-postgresql`, and the server
# crashes looking up that engine's default version: `KeyError('aurora-postgresql')` in
# `DBInstance.__init__`. Real CloudFormation creates the cluster and makes the instances its
# members. The launcher adds the model, creating, modifying and deleting the cluster
# through moto's own RDS code (with its managed master secret, as for an instance), and
# creates an instance that names a cluster as moto's `CreateDBInstance` does. The cluster's
# `DeletionProtection` is kept: deleting a protected cluster fails, as in RDS, until the
# protection is turned off. An update changes what changed in place; a change to a
# property CloudFormation replaces the cluster for (its schema's create-only ones) fails
# the update with that said, rather than passing for one. Remove this patch when a moto
# release models `AWS::RDS::DBCluster` (then moto's model stays, and instances are left to
# moto's code).

_CLUSTER_PROPERTIES = {
    # template property: moto's `create_db_cluster` argument
    "AllocatedStorage": "allocated_storage",
    "AutoMinorVersionUpgrade": "auto_minor_version_upgrade",
    "AvailabilityZones": "availability_zones",
    "BacktrackWindow": "backtrack_window",
    "BackupRetentionPeriod": "backup_retention_period",
    "CopyTagsToSnapshot": "copy_tags_to_snapshot",
    "DBClusterInstanceClass": "db_cluster_instance_class",
    "DBClusterParameterGroupName": "db_cluster_parameter_group_name",
    "DBSubnetGroupName": "db_subnet_group_name",
    "DatabaseName": "database_name",
    "DeletionProtection": "deletion_protection",
    "EnableCloudwatchLogsExports": "enable_cloudwatch_logs_exports",
    "EnableHttpEndpoint": "enable_http_endpoint",
    "EnableIAMDatabaseAuthentication": "enable_iam_database_authentication",
    "Engine": "engine",
    "EngineMode": "engine_mode",
    "EngineVersion": "engine_version",
    "GlobalClusterIdentifier": "global_cluster_identifier",
    "Iops": "iops",
    "KmsKeyId": "kms_key_id",
    "ManageMasterUserPassword": "manage_master_user_password",
    "MasterUserPassword": "master_user_password",
    "MasterUsername": "master_username",
    "NetworkType": "network_type",
    "Port": "port",
    "PreferredBackupWindow": "preferred_backup_window",
    "PreferredMaintenanceWindow": "preferred_maintenance_window",
    "PubliclyAccessible": "publicly_accessible",
    "ReplicationSourceIdentifier": "replication_source_identifier",
    "StorageEncrypted": "storage_encrypted",
    "StorageType": "storage_type",
    "Tags": "tags",
    "VpcSecurityGroupIds": "vpc_security_group_ids",
}
_CLUSTER_INTEGERS = {"AllocatedStorage", "BacktrackWindow", "BackupRetentionPeriod", "Iops", "Port"}
_CLUSTER_BOOLEANS = {
    "AutoMinorVersionUpgrade",
    "CopyTagsToSnapshot",
    "DeletionProtection",
    "EnableHttpEndpoint",
    "EnableIAMDatabaseAuthentication",
    "ManageMasterUserPassword",
    "PubliclyAccessible",
    "StorageEncrypted",
}
# What CloudFormation replaces the cluster for (the schema's create-only properties); it
# changes the others in place.
_CLUSTER_CREATE_ONLY = {
    "ClusterScalabilityType",
    "DBClusterIdentifier",
    "DBSubnetGroupName",
    "DBSystemId",
    "DatabaseName",
    "EngineMode",
    "KmsKeyId",
    "PubliclyAccessible",
    "RestoreToTime",
    "RestoreType",
    "SnapshotIdentifier",
    "SourceDBClusterIdentifier",
    "SourceDbClusterResourceId",
    "SourceRegion",
    "StorageEncrypted",
    "UseLatestRestorableTime",
}


def _template_value(name, value, integers, booleans):
    if name in integers:
        return int(value)
    if name in booleans:
        return value in (True, "true", "True")
    return value


def _cluster_arguments(props):
    arguments = {
        argument: _template_value(name, props[name], _CLUSTER_INTEGERS, _CLUSTER_BOOLEANS)
        for name, argument in _CLUSTER_PROPERTIES.items()
        if props.get(name) is not None
    }
    key = (props.get("MasterUserSecret") or {}).get("KmsKeyId")
    if key is not None:
        arguments["master_user_secret_kms_key_id"] = key
    return arguments


_CLUSTER_ATTRIBUTES = {
    "DBClusterArn": lambda cluster: cluster.db_cluster_arn,
    "DBClusterResourceId": lambda cluster: cluster.db_cluster_resource_id,
    "Endpoint.Address": lambda cluster: cluster.endpoint,
    "Endpoint.Port": lambda cluster: str(cluster.port),
    "ReadEndpoint.Address": lambda cluster: cluster.reader_endpoint,
    "MasterUserSecret.SecretArn": lambda cluster: cluster.master_user_secret.secret_arn,
}


_moto_models_clusters = _modelled("AWS::RDS::DBCluster")


class RdsDbCluster(_model_base("AWS::RDS::DBCluster")):
    __module__ = "moto.rds.models"

    def __init__(self, cluster_id, account_id, region_name, properties):
        self.cluster_id = cluster_id
        self.account_id = account_id
        self.region_name = region_name
        self.properties = properties  # the template's, resolved, as last created or updated

    @property
    def cluster(self):
        return rds_models.rds_backends[self.account_id][self.region_name].clusters[
            self.cluster_id
        ]

    @staticmethod
    def cloudformation_name_type():
        return "DBClusterIdentifier"

    @staticmethod
    def cloudformation_type():
        return "AWS::RDS::DBCluster"

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in _CLUSTER_ATTRIBUTES

    def get_cfn_attribute(self, attribute_name):
        cluster = self.cluster
        secret_arn = attribute_name == "MasterUserSecret.SecretArn"
        if attribute_name in _CLUSTER_ATTRIBUTES and (
            not secret_arn or hasattr(cluster, "master_user_secret")
        ):
            return _CLUSTER_ATTRIBUTES[attribute_name](cluster)
        raise cfn_exceptions.UnformattedGetAttTemplateException()

    @property
    def physical_resource_id(self):
        return self.cluster_id

    def is_created(self):
        return True

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        backend = rds_models.rds_backends[account_id][region_name]
        props = cloudformation_json.get("Properties") or {}
        arguments = _cluster_arguments(props)
        arguments["db_cluster_identifier"] = resource_name.lower()
        cluster = backend.create_db_cluster(arguments)
        return cls(cluster.db_cluster_identifier, account_id, region_name, props)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        backend = rds_models.rds_backends[account_id][region_name]
        props = cloudformation_json.get("Properties") or {}
        before = original_resource.properties
        # moto names the resource anew on every update (`new_resource_name`); CloudFormation
        # keeps the name it made, so only the template's own name counts.
        changed = {name for name in set(props) | set(before) if props.get(name) != before.get(name)}
        replaced = sorted(changed & _CLUSTER_CREATE_ONLY)
        if replaced:
            raise cfn_exceptions.ValidationError(
                message=f"the launcher does not replace DB clusters: {', '.join(replaced)}"
                " would replace it in CloudFormation"
            )
        cluster = original_resource.cluster
        arguments = _cluster_arguments({name: props[name] for name in changed if name in props})
        exports = arguments.pop("enable_cloudwatch_logs_exports", None)
        tags = arguments.pop("tags", None)
        arguments["db_cluster_identifier"] = original_resource.cluster_id
        if exports is not None:
            old = set(cluster.enabled_cloudwatch_logs_exports)
            arguments["enable_cloudwatch_logs_exports"] = {
                "EnableLogTypes": [e for e in exports if e not in old],
                "DisableLogTypes": [e for e in old if e not in exports],
            }
        backend.modify_db_cluster(arguments)
        if tags is not None:
            cluster.tags = tags
        original_resource.properties = props
        return original_resource

    def delete(self, account_id, region_name):
        rds_models.rds_backends[account_id][region_name].delete_db_cluster(self.cluster_id)


_INSTANCE_IN_CLUSTER = {
    "AutoMinorVersionUpgrade": "auto_minor_version_upgrade",
    "AvailabilityZone": "availability_zone",
    "CACertificateIdentifier": "ca_certificate_identifier",
    "DBInstanceClass": "db_instance_class",
    "DBParameterGroupName": "db_parameter_group_name",
    "DeletionProtection": "deletion_protection",
    "Engine": "engine",
    "MonitoringInterval": "monitoring_interval",
    "MonitoringRoleArn": "monitoring_role_arn",
    "PromotionTier": "promotion_tier",
    "PubliclyAccessible": "publicly_accessible",
    "Tags": "tags",
}
_create_db_outside_cluster = _db.create_from_cloudformation_json.__func__


def _create_db_in_cluster(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
    props = cloudformation_json.get("Properties") or {}
    cluster_id = props.get("DBClusterIdentifier")
    if cluster_id is None:
        return _create_db_outside_cluster(
            cls, resource_name, cloudformation_json, account_id, region_name, **kw
        )
    arguments = {
        argument: _template_value(
            name,
            props[name],
            {"MonitoringInterval", "PromotionTier"},
            {"AutoMinorVersionUpgrade", "DeletionProtection", "PubliclyAccessible"},
        )
        for name, argument in _INSTANCE_IN_CLUSTER.items()
        if props.get(name) is not None
    }
    arguments["db_instance_identifier"] = resource_name.replace("_", "-")
    arguments["db_cluster_identifier"] = cluster_id
    return rds_models.rds_backends[account_id][region_name].create_db_instance(arguments)


if not _moto_models_clusters:
    _db.create_from_cloudformation_json = classmethod(_create_db_in_cluster)

# --- rds-cluster-parameter-group --------------------------------------------------------
# moto 5.2.5 emulates DB cluster parameter groups through its RDS API, but its model gives
# no CloudFormation type: an `AWS::RDS::DBClusterParameterGroup` is skipped, its `Ref`
# resolves to nothing, and the cluster naming it gets moto's default group instead (an
# Aurora cluster without the template's `rds.force_ssl`). Real CloudFormation creates the
# group with the template's parameters. The launcher makes moto's class the model: it is
# created, its parameters changed in place and deleted through moto's own RDS code; a
# change to its name, `Family` or `Description` (CloudFormation replaces the group for
# those) fails the update with that said. Remove this patch when a moto release gives the
# model its type (the `_modelled` check makes it a no-op then).

_ClusterGroup = rds_models.DBClusterParameterGroup


def _cluster_group_parameters(props):
    return [
        {"ParameterName": name, "ParameterValue": str(value), "ApplyMethod": "pending-reboot"}
        for name, value in (props.get("Parameters") or {}).items()
    ]


def _create_cluster_group(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
    props = cloudformation_json.get("Properties") or {}
    backend = rds_models.rds_backends[account_id][region_name]
    group = backend.create_db_cluster_parameter_group(
        db_cluster_parameter_group_name=props.get("DBClusterParameterGroupName")
        or resource_name,
        db_parameter_group_family=props["Family"],
        description=props["Description"],
        tags=props.get("Tags"),
    )
    group.update_cluster_parameters(_cluster_group_parameters(props))
    group.template_properties = props
    return group


def _update_cluster_group(
    cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
):
    props = cloudformation_json.get("Properties") or {}
    group = original_resource
    before = getattr(group, "template_properties", {})
    replaced = [
        name
        for name in ("DBClusterParameterGroupName", "Description", "Family")
        if props.get(name) != before.get(name)
    ]
    if replaced:
        raise cfn_exceptions.ValidationError(
            message="the launcher does not replace DB cluster parameter groups:"
            f" {', '.join(replaced)} would replace it in CloudFormation"
        )
    group.parameters.clear()
    group.update_cluster_parameters(_cluster_group_parameters(props))
    if props.get("Tags") is not None:
        group.tags = props["Tags"]
    group.template_properties = props
    return group


def _delete_cluster_group(self, account_id, region_name):
    backend = rds_models.rds_backends[account_id][region_name]
    backend.delete_db_cluster_parameter_group(self.name)


if not _modelled("AWS::RDS::DBClusterParameterGroup"):
    _ClusterGroup.cloudformation_type = staticmethod(lambda: "AWS::RDS::DBClusterParameterGroup")
    _ClusterGroup.cloudformation_name_type = staticmethod(lambda: "DBClusterParameterGroupName")
    _ClusterGroup.create_from_cloudformation_json = classmethod(_create_cluster_group)
    _ClusterGroup.update_from_cloudformation_json = classmethod(_update_cluster_group)
    _ClusterGroup.delete = _delete_cluster_group
    _ClusterGroup.is_created = lambda self: True

# --- secretsmanager-secret, elasticache-replication-group --------------------------------
# moto 5.2.5 emulates the Secrets Manager and ElastiCache APIs but has no CloudFormation
# model for `AWS::SecretsManager::Secret` or `AWS::ElastiCache::ReplicationGroup`: it skips
# them, so their `Ref` and attributes resolve to nothing and every stack importing a secret's
# ARN or the cache's endpoint fails with "No export named ...". Real CloudFormation creates
# them. The launcher adds both models, creating and deleting through moto's own API code: a
# secret's `GenerateSecretString` is generated as Secrets Manager generates passwords; a
# replication group takes the template's properties under the API's names. (Dynamic
# references such as `{{resolve:secretsmanager:...}}` stay unresolved, as in all of moto.)


class SecretsManagerSecret(_model_base("AWS::SecretsManager::Secret")):
    __module__ = "moto.secretsmanager.models"

    def __init__(self, arn):
        self.arn = arn

    @staticmethod
    def cloudformation_name_type():
        return "Name"

    @staticmethod
    def cloudformation_type():
        return "AWS::SecretsManager::Secret"

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "Id":
            return self.arn
        raise cfn_exceptions.UnformattedGetAttTemplateException()

    @property
    def physical_resource_id(self):
        return self.arn

    def is_created(self):
        return True

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        backend = secretsmanager_models.secretsmanager_backends[account_id][region_name]
        props = cloudformation_json.get("Properties") or {}
        value = props.get("SecretString")
        generate = props.get("GenerateSecretString")
        if generate is not None:
            password = json.loads(
                backend.get_random_password(
                    password_length=int(generate.get("PasswordLength", 32)),
                    exclude_characters=generate.get("ExcludeCharacters", ""),
                    exclude_numbers=generate.get("ExcludeNumbers", False),
                    exclude_punctuation=generate.get("ExcludePunctuation", False),
                    exclude_uppercase=generate.get("ExcludeUppercase", False),
                    exclude_lowercase=generate.get("ExcludeLowercase", False),
                    include_space=generate.get("IncludeSpace", False),
                    require_each_included_type=generate.get("RequireEachIncludedType", True),
                )
            )["RandomPassword"]
            value = password
            if generate.get("SecretStringTemplate"):
                template = json.loads(generate["SecretStringTemplate"])
                value = json.dumps({**template, generate["GenerateStringKey"]: password})
        created = backend.create_secret(
            name=resource_name,
            secret_string=value,
            secret_binary=None,
            description=props.get("Description"),
            tags=props.get("Tags"),
            kms_key_id=props.get("KmsKeyId"),
            client_request_token=None,
            replica_regions=props.get("ReplicaRegions") or [],
            force_overwrite=False,
        )
        return cls(json.loads(created)["ARN"])

    def delete(self, account_id, region_name):
        secretsmanager_models.secretsmanager_backends[account_id][region_name].delete_secret(
            self.arn, recovery_window_in_days=None, force_delete_without_recovery=True
        )


_ENDPOINTS = {
    "PrimaryEndPoint": ("primary_endpoint_address", "port"),
    "ReaderEndPoint": ("reader_endpoint_address", "port"),
}


class ElastiCacheReplicationGroup(_model_base("AWS::ElastiCache::ReplicationGroup")):
    __module__ = "moto.elasticache.models"

    def __init__(self, group):
        self.group = group

    @staticmethod
    def cloudformation_name_type():
        return "ReplicationGroupId"

    @staticmethod
    def cloudformation_type():
        return "AWS::ElastiCache::ReplicationGroup"

    @classmethod
    def has_cfn_attr(cls, attr):
        endpoint, _, field = attr.partition(".")
        return endpoint in _ENDPOINTS and field in ("Address", "Port")

    def get_cfn_attribute(self, attribute_name):
        endpoint, _, field = attribute_name.partition(".")
        if self.has_cfn_attr(attribute_name) and self.group.node_groups:
            address, port = _ENDPOINTS[endpoint]
            value = self.group.node_groups[0].get(address if field == "Address" else port)
            if value is not None:
                return str(value)
        raise cfn_exceptions.UnformattedGetAttTemplateException()

    @property
    def physical_resource_id(self):
        return self.group.replication_group_id

    def is_created(self):
        return True

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        backend = elasticache_models.elasticache_backends[account_id][region_name]
        props = cloudformation_json.get("Properties") or {}
        props = {key.lower(): value for key, value in props.items()}
        # The API's parameters are the template's properties in snake case.
        names = inspect.signature(backend.create_replication_group).parameters
        arguments = {name: props.get(name.replace("_", "")) for name in names}
        # CloudFormation makes up an id when the template names none: lower case, <= 40.
        group_id = props.get("replicationgroupid") or resource_name
        arguments["replication_group_id"] = group_id.lower()[:40]
        return cls(backend.create_replication_group(**arguments))

    def delete(self, account_id, region_name):
        backend = elasticache_models.elasticache_backends[account_id][region_name]
        group_id = self.group.replication_group_id
        backend.delete_replication_group(group_id, retain_primary_cluster=False)
        backend.replication_groups.pop(group_id, None)  # moto keeps it "deleting" for ever


# --- cloudwatch-alarms ------------------------------------------------------------------
# moto 5.2.5 emulates CloudWatch's alarm API but has no CloudFormation model for
# `AWS::CloudWatch::Alarm`: it skips the resource, so a deployed stack has none of its
# alarms (`DescribeAlarms` lists nothing, `SetAlarmState` finds nothing to set) and a `Ref`
# to one resolves to nothing. Real CloudFormation creates each alarm (named
# `<stack>-<logical id>-<suffix>` when the template names none), `Ref` is its name and
# `Arn` its ARN; an update changes it in place, keeping its state, unless `AlarmName`
# changes (then it is replaced). The launcher adds the model, creating, updating and
# deleting through moto's own CloudWatch code with the template's properties under the
# API's names (metric math `Metrics` included). Remove this patch when a moto release
# models the type (then moto's model stays).

_ALARM_PROPERTIES = {
    # template property: moto's `put_metric_alarm` argument
    "ActionsEnabled": "actions_enabled",
    "AlarmActions": "alarm_actions",
    "AlarmDescription": "description",
    "ComparisonOperator": "comparison_operator",
    "DatapointsToAlarm": "datapoints_to_alarm",
    "Dimensions": "dimensions",
    "EvaluateLowSampleCountPercentile": "evaluate_low_sample_count_percentile",
    "EvaluationPeriods": "evaluation_periods",
    "ExtendedStatistic": "extended_statistic",
    "InsufficientDataActions": "insufficient_data_actions",
    "MetricName": "metric_name",
    "Namespace": "namespace",
    "OKActions": "ok_actions",
    "Period": "period",
    "Statistic": "statistic",
    "Tags": "tags",
    "Threshold": "threshold",
    "ThresholdMetricId": "threshold_metric_id",
    "TreatMissingData": "treat_missing_data",
    "Unit": "unit",
}
_ALARM_INTEGERS = {"DatapointsToAlarm", "EvaluationPeriods", "Period"}


def _alarm_queries(metrics):
    queries = []
    for metric in metrics:
        stat = metric.get("MetricStat")
        metric_stat = None
        if stat:
            watched = stat.get("Metric") or {}
            metric_stat = cloudwatch_models.MetricStat(
                metric=cloudwatch_models.Metric(
                    metric_name=watched.get("MetricName"),
                    namespace=watched.get("Namespace"),
                    dimensions=[
                        cloudwatch_models.Dimension(d.get("Name"), d.get("Value"))
                        for d in watched.get("Dimensions") or []
                    ],
                ),
                period=stat.get("Period"),
                stat=stat.get("Stat"),
                unit=stat.get("Unit"),
            )
        return_data = metric.get("ReturnData")
        queries.append(
            cloudwatch_models.MetricDataQuery(
                query_id=metric.get("Id"),
                label=metric.get("Label"),
                period=metric.get("Period"),
                return_data=None if return_data is None else return_data in (True, "true"),
                expression=metric.get("Expression"),
                metric_stat=metric_stat,
            )
        )
    return queries


def _put_alarm(backend, name, props):
    arguments = {name: None for name in _ALARM_PROPERTIES.values()}
    for prop, argument in _ALARM_PROPERTIES.items():
        value = props.get(prop)
        if value is not None and prop in _ALARM_INTEGERS:
            value = int(value)
        arguments[argument] = value
    if arguments["threshold"] is not None:
        arguments["threshold"] = float(arguments["threshold"])
    arguments["actions_enabled"] = props.get("ActionsEnabled", True) in (True, "true")
    for listed in ("dimensions", "alarm_actions", "ok_actions", "insufficient_data_actions"):
        arguments[listed] = arguments[listed] or []
    metrics = props.get("Metrics")
    return backend.put_metric_alarm(
        name=name, metric_data_queries=_alarm_queries(metrics) if metrics else None, **arguments
    )


class CloudWatchAlarm(_model_base("AWS::CloudWatch::Alarm")):
    __module__ = "moto.cloudwatch.models"

    def __init__(self, name, account_id, region_name):
        self.name = name
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type():
        return "AlarmName"

    @staticmethod
    def cloudformation_type():
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "Arn":
            backend = cloudwatch_models.cloudwatch_backends[self.account_id][self.region_name]
            return backend.alarms[self.name].alarm_arn
        raise cfn_exceptions.UnformattedGetAttTemplateException()

    @property
    def physical_resource_id(self):
        return self.name

    def is_created(self):
        return True

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        backend = cloudwatch_models.cloudwatch_backends[account_id][region_name]
        props = cloudformation_json.get("Properties") or {}
        _put_alarm(backend, resource_name, props)
        return cls(resource_name, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        backend = cloudwatch_models.cloudwatch_backends[account_id][region_name]
        props = cloudformation_json.get("Properties") or {}
        # moto names the resource anew on every update; CloudFormation keeps the name it made.
        name = props.get("AlarmName") or original_resource.name
        old = backend.alarms.get(original_resource.name)
        alarm = _put_alarm(backend, name, props)
        if name != original_resource.name:
            backend.delete_alarms([original_resource.name])
        elif old is not None:
            # PutMetricAlarm on an existing alarm leaves its state as it was.
            alarm.history = old.history
            alarm.state_reason = old.state_reason
            alarm.state_reason_data = old.state_reason_data
            alarm.state_value = old.state_value
            alarm.state_updated_timestamp = old.state_updated_timestamp
        return cls(name, account_id, region_name)

    def delete(self, account_id, region_name):
        backend = cloudwatch_models.cloudwatch_backends[account_id][region_name]
        if self.name in backend.alarms:
            backend.tagger.delete_all_tags_for_resource(backend.alarms[self.name].alarm_arn)
        backend.delete_alarms([self.name])


# `_modelled` filled moto's cached model list before the classes above existed.
cfn_parsing.get_model_list.cache_clear()
cfn_parsing.get_model_map.cache_clear()
cfn_parsing.get_name_type_map.cache_clear()

# --- change-set-exports, execute-once ---------------------------------------------------
# moto 5.2.5 executes a change set without the region's exports (so `Fn::ImportValue` in
# a stack created through a change set fails: "No export named ...") and records no outputs
# or exports afterwards. Real CloudFormation does both, and every stackwright deploy goes
# through a change set, so an app with cross-stack references (the reference example) could
# not be deployed to moto at all. The launcher hands the stack the exports before executing
# and records its outputs and exports after, as moto's own `create_stack` does. The deploy
# code does not rely on it: reading outputs is tested over recorded responses too.
#
# `execute-once`: when creating a resource fails, moto answers `ExecuteChangeSet` with HTTP
# 500 and leaves the change set executable. The SDK retries a 500, and the second execution
# finds nothing left to add (moto already took the new template as the stack's) and marks
# the stack `CREATE_COMPLETE`, with every resource after the failing one never created: a
# failed deploy that reads as a success. Real CloudFormation executes a change set once.
# The launcher marks a change set whose execution raised `EXECUTE_FAILED` and answers any
# further `ExecuteChangeSet` of it (or of an executed one) with CloudFormation's
# `InvalidChangeSetStatus`, naming the first execution's error.


class InvalidChangeSetStatus(cfn_exceptions.CloudFormationError):
    code = "InvalidChangeSetStatus"


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
    if cs is not None and cs.execution_status not in (None, "AVAILABLE"):
        reason = f": {cs.status_reason}" if cs.execution_status == "EXECUTE_FAILED" else ""
        raise InvalidChangeSetStatus(
            f"ChangeSet [{cs.change_set_id}] cannot be executed in its current execution"
            f" status of [{cs.execution_status}]{reason}"
        )
    try:
        _execute_with_exports(self, cs, change_set_name, stack_name)
    except Exception as e:
        if cs is not None:
            cs.execution_status = "EXECUTE_FAILED"
            cs.status_reason = f"moto failed executing it: {e!r}"
        raise


def _execute_with_exports(self, cs, change_set_name, stack_name):
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
    # Some attributes moto's models cannot give, and a `Ref` to a type moto does not model
    # is nothing; an output using one would crash every later DescribeStacks (or export
    # nothing). Such outputs are left out.
    kept = {}
    for key, value in (output_map._output_json_map or {}).items():
        try:
            resolved = [clean_json(value.get("Value"), output_map._resource_map)]
            if value.get("Export"):
                resolved.append(clean_json(value["Export"].get("Name"), output_map._resource_map))
        except Exception:  # noqa: BLE001  (whatever moto raises, the output is unknowable)
            continue
        if None not in resolved:
            kept[key] = value
    output_map._output_json_map = kept


cfn_models.CloudFormationBackend.execute_change_set = execute_change_set

# --- change-set-parameters --------------------------------------------------------------
# moto 5.2.5 answers `CreateChangeSet` for an unchanged stack that has parameters with the
# error "No updates are to be performed." (`UpdateStack`'s answer) instead of a change set
# that failed for want of changes, and it takes `UsePreviousValue` as the parameter's
# *resolved* value: an `AWS::SSM::Parameter::Value<...>` parameter (an AMI read from SSM at
# every deploy, as stackwright's fleets do) would become the AMI id itself. Real
# CloudFormation keeps the value given (the SSM name) and reports "didn't contain changes"
# through the change set. The launcher gives moto the previous values as given (the
# template's defaults for those never given), compares those to find "no changes", and
# leaves the verdict to the change set.


def _previous_inputs(stack):
    declared = (stack.template_dict or {}).get("Parameters") or {}
    values = {name: spec["Default"] for name, spec in declared.items() if "Default" in spec}
    values.update(stack.resource_map.input_parameters or {})
    return {name: values[name] for name in declared if name in values}


def has_parameters(self, other_parameters):
    # Only asked once the template is known to be the same, so its parameters are the new.
    declared = (self.template_dict or {}).get("Parameters") or {}
    after = {name: spec["Default"] for name, spec in declared.items() if "Default" in spec}
    after.update(other_parameters or {})
    after = {name: str(after[name]) for name in declared if name in after}
    return {name: str(value) for name, value in _previous_inputs(self).items()} == after


_create_change_set_response = cfn_responses.CloudFormationResponse.create_change_set


def create_change_set(self):
    # This request's response object only: the no-change verdict is the change set's.
    self._validate_different_update = lambda *args, **kwargs: None
    return _create_change_set_response(self)


cfn_models.Stack.stack_parameters = property(_previous_inputs)
cfn_models.Stack.has_parameters = has_parameters
cfn_responses.CloudFormationResponse.create_change_set = create_change_set

# --- parameter-readers ------------------------------------------------------------------
# When a stack update changes parameter values only, moto 5.2.5 updates the resources whose
# JSON has a `Ref` to a changed parameter (`get_references_from_template`). Real
# CloudFormation updates every resource whose resolved properties change: also those that
# read the parameter as `${Name}` in an `Fn::Sub`, and those that read it through a
# condition (`Fn::If`, a resource's `Condition`), however the conditions nest. A release
# changes exactly such parameters (an image tag in a boot script's `Fn::Sub`, a colour's
# size behind `Fn::If` on whether it serves), so under moto the resources stayed as they
# were. The launcher adds those readers to moto's list of resources to modify, and moto
# updates them as it does the others (its conditions are evaluated again first).

_build_resource_diff = cfn_parsing.ResourceMap.build_resource_diff
_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9_.:]+)\}")


def _read_names(value, conditions, seen):
    names = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                names.add(inner)
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(text, str):
                    names.update(_SUB_NAME.findall(text))
                names |= _read_names(inner, conditions, seen)
            elif key == "Fn::If" and isinstance(inner, list) and inner:
                names |= _condition_names(inner[0], conditions, seen)
                names |= _read_names(inner[1:], conditions, seen)
            elif key == "Condition" and isinstance(inner, str):
                names |= _condition_names(inner, conditions, seen)
            else:
                names |= _read_names(inner, conditions, seen)
    elif isinstance(value, list):
        for inner in value:
            names |= _read_names(inner, conditions, seen)
    return names


def _condition_names(name, conditions, seen):
    if not isinstance(name, str) or name in seen or name not in conditions:
        return set()
    return _read_names(conditions[name], conditions, seen | {name})


def build_resource_diff(self, other_template, parameters=None):
    diff = _build_resource_diff(self, other_template, parameters)
    if parameters:
        changed = {p for p in parameters if self.input_parameters.get(p) != parameters[p]}
        conditions = other_template.get("Conditions") or {}
        old = self._resource_json_map
        for name, resource in other_template["Resources"].items():
            if name in old and name not in diff["Modify"] and name not in diff["Add"]:
                if _read_names(resource, conditions, frozenset()) & changed:
                    diff["Modify"].append(name)
    return diff


cfn_parsing.ResourceMap.build_resource_diff = build_resource_diff

# --- ec2-delete-handlers ----------------------------------------------------------------
# moto deletes a stack's resource through the model's `delete(account_id, region)`, else its
# `delete_from_cloudformation_json`; moto 5.2.5's models of these EC2 types have neither, and
# moto then skips the resource without a word. So a stack's VPC outlives its route tables,
# NAT gateways, EIPs and internet gateway attachment, and deleting the VPC fails with "The vpc
# ... has dependencies" (or, where moto does not check, leaves them dangling). Real
# CloudFormation deletes them all; no template can make moto do it. The launcher gives each
# model the `delete` real CloudFormation performs, through moto's own EC2 API code. A model
# that gains its own `delete` in a later moto keeps it.


def _delete_handler(model, delete, backends=ec2_backends):
    # moto takes a TypeError or AttributeError from `delete` to mean "no such method" and
    # falls back to `delete_from_cloudformation_json`, which does nothing for these types:
    # a bug in a handler would pass for a deletion. Those errors are re-raised as others.
    def handler(self, account_id, region_name):
        try:
            delete(self, backends[account_id][region_name])
        except (TypeError, AttributeError) as e:
            raise RuntimeError(f"deleting {model.__name__}: {e!r}") from e

    if not hasattr(model, "delete"):
        model.delete = handler


def _delete_route(route, ec2):
    prefix_list = route.destination_prefix_list
    ec2.delete_route(
        route.route_table.id,
        route.destination_cidr_block,
        route.destination_ipv6_cidr_block,
        prefix_list.id if prefix_list else None,
    )


def _delete_subnet_association(association, ec2):
    # moto's CloudFormation model only records the association (in `subnet_associations`);
    # should the route table hold it as well, it is dropped there too.
    ec2.subnet_associations.pop(f"{association.route_table_id}:{association.subnet_id}", None)
    table = ec2.route_tables.get(association.route_table_id)
    for association_id, target in list(table._associations.items() if table else []):
        if target == association.subnet_id:
            ec2.disassociate_route_table(association_id)


def _delete_nat_gateway(nat, ec2):
    # As AWS does: the gateway's network interface goes, and its EIP is disassociated.
    ec2.delete_nat_gateway(nat.id)
    for address in list(ec2.addresses):
        if address.eni is nat._eni:
            ec2.disassociate_address(address=address.public_ip)
    ec2.delete_network_interface(nat._eni.id)


def _release_address(eip, ec2):
    if eip.allocation_id:
        ec2.release_address(allocation_id=eip.allocation_id)
    else:
        ec2.release_address(address=eip.public_ip)


def _detach_gateway(attachment, ec2):
    if attachment.gateway_id:
        ec2.detach_internet_gateway(attachment.gateway_id, attachment.vpc_id)
        return
    # A VPN gateway's attachment does not know its gateway; the gateway knows it.
    for gateway in ec2.vpn_gateways.values():
        if gateway.attachments.get(attachment.vpc_id) is attachment:
            ec2.detach_vpn_gateway(gateway.id, attachment.vpc_id)
            return
    raise RuntimeError(f"no gateway is attached to {attachment.vpc_id} by this attachment")


def _revoke_ingress(rule, ec2):
    props = rule.properties
    source = {}
    if props.get("SourceSecurityGroupId"):
        source["GroupId"] = props["SourceSecurityGroupId"]
    if props.get("SourceSecurityGroupName"):
        source["GroupName"] = props["SourceSecurityGroupName"]
    cidr = props.get("CidrIp")
    ec2.revoke_security_group_ingress(
        group_name_or_id=rule.security_group.id,
        ip_protocol=props.get("IpProtocol"),
        from_port=props.get("FromPort"),
        to_port=props.get("ToPort"),
        ip_ranges=[{"CidrIp": cidr, "Description": props.get("Description")}] if cidr else [],
        source_groups=[source] if source else [],
    )


_delete_handler(Route, _delete_route)
_delete_handler(RouteTable, lambda table, ec2: ec2.delete_route_table(table.id))
_delete_handler(SubnetRouteTableAssociation, _delete_subnet_association)
_delete_handler(NatGateway, _delete_nat_gateway)
_delete_handler(ElasticAddress, _release_address)
_delete_handler(VPCGatewayAttachment, _detach_gateway)
_delete_handler(InternetGateway, lambda igw, ec2: ec2.delete_internet_gateway(igw.id))
_delete_handler(VPCEndPoint, lambda endpoint, ec2: ec2.delete_vpc_endpoints([endpoint.id]))
_delete_handler(FlowLogs, lambda flow_log, ec2: ec2.delete_flow_logs([flow_log.id]))
_delete_handler(SecurityGroupIngress, _revoke_ingress)

# --- elbv2-delete-handlers --------------------------------------------------------------
# The same for moto 5.2.5's ELBv2 listener and target group models: a deleted stack leaves
# them behind (a target group keeps pointing at the deleted load balancer).


_delete_handler(
    elbv2_models.FakeListener,
    lambda listener, elbv2: elbv2.delete_listener(listener.arn),
    elbv2_models.elbv2_backends,
)
_delete_handler(
    elbv2_models.FakeTargetGroup,
    lambda group, elbv2: elbv2.delete_target_group(group.arn),
    elbv2_models.elbv2_backends,
)

# --- delete-in-dependency-order ---------------------------------------------------------
# moto 5.2.5 deletes a stack's resources in the iteration order of a set (so in an order
# that changes from run to run), retrying failures while the count goes down. Many of its
# EC2 deletes do not check what still depends on them (a subnet goes while a NAT gateway's
# interface is in it, a VPC while an internet gateway is attached), so that order decides
# what is left dangling. Real CloudFormation deletes in reverse dependency order (`Ref`,
# `Fn::GetAtt`, `Fn::Sub` and `DependsOn`), and when a resource fails it keeps whatever that
# resource depends on and fails the stack. The launcher does the same; the error names
# every resource that failed, with moto's reason.
#
# moto also creates a stack's resources lazily, whenever its template code looks one up
# that it has not created (or has deleted): rendering a deleted stack's outputs for
# `DescribeStacks` created its VPC, subnets and security groups again. Once deletion has
# begun the launcher answers such a lookup with nothing instead.

_PSEUDO = re.compile(r"\$\{([^!}][^}]*)\}")


def _references(value, names):
    found = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                if isinstance(text, str):
                    found.update(m.split(".")[0] for m in _PSEUDO.findall(text))
            found |= _references(inner, names)
    elif isinstance(value, list):
        for inner in value:
            found |= _references(inner, names)
    return found & names


def _dependencies(resources):
    names = set(resources)
    graph = {}
    for name, definition in resources.items():
        depends_on = definition.get("DependsOn") or []
        if isinstance(depends_on, str):
            depends_on = [depends_on]
        graph[name] = (_references(definition, names) | set(depends_on)) & (names - {name})
    return graph


def _creation_order(graph):
    order, seen = [], set()

    def visit(name):
        if name in seen:
            return
        seen.add(name)
        for dependency in sorted(graph[name]):
            visit(dependency)
        order.append(name)

    for name in graph:
        visit(name)
    return order


class StackDeletionFailed(Exception):
    def __init__(self, failures):
        self.failures = failures  # [(logical id, type, reason)]
        names = ", ".join(name for name, _, _ in failures)
        super().__init__(f"The following resource(s) failed to delete: [{names}].")


def delete(self):
    self.deleting = True
    resources = self._resource_json_map
    graph = _dependencies(resources)
    kept = set()  # what a resource that failed to delete depends on
    failures = []
    for name in reversed(_creation_order(graph)):
        definition = resources[name]
        resource = self._parsed_resources.get(name)
        if definition.get("DeletionPolicy") == "Retain":
            continue
        if resource is None or isinstance(resource, str):
            continue  # never created (moto skips types it does not model)
        if name in kept:
            continue  # still in use by a resource that failed to delete
        try:
            self._delete_resource(resource, definition)
        except Exception as e:  # noqa: BLE001  (moto's reason, whatever it is, is reported)
            failures.append((name, definition["Type"], f"{type(e).__name__}: {e}"))
            pending = list(graph[name])
            while pending:
                dependency = pending.pop()
                if dependency not in kept:
                    kept.add(dependency)
                    pending.extend(graph[dependency])
        else:
            self._parsed_resources.pop(name)
    if failures:
        raise StackDeletionFailed(failures)


_lookup = cfn_parsing.ResourceMap.__getitem__


def lookup(self, key):
    deleted = key not in self._parsed_resources and key in self._resource_json_map
    if deleted and getattr(self, "deleting", False):
        return None
    return _lookup(self, key)


cfn_parsing.ResourceMap.delete = delete
cfn_parsing.ResourceMap.__getitem__ = lookup

# --- delete-failed-stack ----------------------------------------------------------------
# When deleting a resource fails, moto 5.2.5 has already taken the stack out of its list:
# `DeleteStack` answers HTTP 500 and the stack is gone from `DescribeStacks`, its remaining
# resources orphaned, as if the delete had half worked. Real CloudFormation keeps the stack
# as `DELETE_FAILED`, with each failed resource's reason in its events, and deleting it again
# retries. The launcher puts the stack back that way, so a failed destroy is reported as one.
# Its outputs and exports are read before deleting (they name resources that may be gone
# after): a stack that failed to delete keeps them, as in CloudFormation (moto rendered the
# exports again from the deleted resources, and every `DescribeStacks` of the stack crashed),
# and a deleted stack has none.

_delete_stack = cfn_models.CloudFormationBackend.delete_stack


class _OutputsAsRead(cfn_parsing.OutputMap):
    """A stack's outputs and exports as they were read before its resources were deleted."""

    def __init__(self, outputs, exports):
        self.__dict__.update(outputs.__dict__)
        rendered = outputs._parsed_outputs
        self._output_json_map = {
            key: value
            for key, value in (outputs._output_json_map or {}).items()
            if key in rendered
        }
        self._exports = exports

    @property
    def exports(self):
        return self._exports


def delete_stack(self, name_or_stack_id):
    _refuse_protected(self, name_or_stack_id)
    stack = self.stacks.get(name_or_stack_id) or next(
        (s for s in self.stacks.values() if s.name == name_or_stack_id), None
    )
    exports = []
    if stack is not None:
        try:
            stack.outputs  # noqa: B018  (moto caches each output as it renders it)
            exports = list(stack.exports)
        except Exception:  # noqa: BLE001  (an output moto cannot render stays unrendered)
            pass
    try:
        _delete_stack(self, name_or_stack_id)
        if stack is not None and stack.stack_id in self.deleted_stacks:
            no_outputs = {"Outputs": {}}
            stack.output_map = cfn_parsing.OutputMap(stack.resource_map, no_outputs, stack.stack_id)
    except StackDeletionFailed as e:
        if stack is None:
            raise
        self.deleted_stacks.pop(stack.stack_id, None)
        self.stacks[stack.stack_id] = stack
        if not isinstance(stack.output_map, _OutputsAsRead):
            stack.output_map = _OutputsAsRead(stack.output_map, exports)
        for name, resource_type, reason in e.failures:
            stack.events.append(
                cfn_models.Event(
                    stack_id=stack.stack_id,
                    stack_name=stack.name,
                    logical_resource_id=name,
                    physical_resource_id=name,
                    resource_type=resource_type,
                    resource_status="DELETE_FAILED",
                    resource_status_reason=reason,
                    resource_properties=None,
                )
            )
        stack._add_stack_event("DELETE_FAILED", resource_status_reason=str(e))
        stack.status = "DELETE_FAILED"


cfn_models.CloudFormationBackend.delete_stack = delete_stack

# --- review-stack-reused ----------------------------------------------------------------
# moto 5.2.5 makes a new stack for every CREATE change set, also when a stack of that name is
# waiting in `REVIEW_IN_PROGRESS` with another change set: two stacks of one name, and
# `DescribeStacks` by name shows the old one whatever happens to the new. Real CloudFormation
# adds the change set to the stack in review, and refuses a CREATE change set for a stack
# that exists in any other state. The launcher does both.

_create_change_set = cfn_models.CloudFormationBackend.create_change_set


def create_change_set_on_review_stack(*args, **kwargs):
    with _one_at_a_time:
        return _create_change_set_on_review_stack(*args, **kwargs)


def _create_change_set_on_review_stack(
    self,
    stack_name,
    change_set_name,
    template,
    parameters,
    description,
    change_set_type,
    notification_arns=None,
    tags=None,
    role_arn=None,
):
    if change_set_type != "UPDATE":
        existing = next((s for s in self.stacks.values() if s.name == stack_name), None)
        if existing is not None and existing.status != "REVIEW_IN_PROGRESS":
            raise cfn_exceptions.ValidationError(
                message=f"Stack [{stack_name}] already exists and cannot be created again"
                f" with the changeSet [{change_set_name}]."
            )
        if existing is not None:
            cfn_models.validate_create_change_set(change_set_name)
            change_set_id = cfn_models.generate_changeset_id(
                change_set_name, self.region_name, self.account_id
            )
            change_set = cfn_models.ChangeSet(
                change_set_type="CREATE",
                change_set_id=change_set_id,
                change_set_name=change_set_name,
                stack=existing,
                template=template,
                parameters=parameters,
                description=description,
                notification_arns=notification_arns,
                tags=tags,
                role_arn=role_arn,
            )
            change_set.status = "CREATE_COMPLETE"
            change_set.execution_status = "AVAILABLE"
            self.change_sets[change_set_id] = change_set
            return change_set_id, existing.stack_id
    return _create_change_set(
        self,
        stack_name,
        change_set_name,
        template,
        parameters,
        description,
        change_set_type,
        notification_arns=notification_arns,
        tags=tags,
        role_arn=role_arn,
    )


cfn_models.CloudFormationBackend.create_change_set = create_change_set_on_review_stack

# --- execute-as-cloudformation ----------------------------------------------------------
# What real CloudFormation does when a change set is executed and moto 5.2.5 does not:
# - it removes the stack's other change sets (they no longer apply to the changed stack);
#   moto keeps them executable, so a second run's change set could be executed on top of
#   the first's, and a CREATE one "created" a stack that already existed;
# - it gives the stack the change set's tags; moto keeps the tags of the stack's first
#   change set, so a stack adopted by an UPDATE never gets them;
# - it takes `ClientRequestToken`: a retried request with the same token is carried out
#   once, and the operation's events carry the token; moto ignores it, so a retry after a
#   lost answer is refused and nothing tells one run's operation from another's;
# - a change set that is not there is `ChangeSetNotFound`; moto crashes (HTTP 500);
# - one operation runs on a stack at a time; moto's threaded server ran two executions of
#   one stack at once (two deploys racing), and both "succeeded". The launcher runs
#   executions and the change sets made meanwhile one at a time, so the second finds its
#   change set removed, or its CREATE refused, as in CloudFormation.

_execution = threading.local()
_one_at_a_time = threading.RLock()


class ChangeSetNotFound(cfn_exceptions.CloudFormationError):
    code = "ChangeSetNotFound"


_execute_change_set_response = cfn_responses.CloudFormationResponse.execute_change_set


def execute_change_set_response(self):
    _execution.token = self._get_param("ClientRequestToken")
    try:
        return _execute_change_set_response(self)
    finally:
        _execution.token = None


_execute_once = cfn_models.CloudFormationBackend.execute_change_set


def execute_as_cloudformation(self, change_set_name, stack_name=None):
    with _one_at_a_time:
        _execute_as_cloudformation(self, change_set_name, stack_name)


def _execute_as_cloudformation(self, change_set_name, stack_name=None):
    cs = _find_change_set(self, change_set_name, stack_name)
    if cs is None:
        raise ChangeSetNotFound(f"ChangeSet [{change_set_name}] does not exist")
    token = getattr(_execution, "token", None)
    if (
        token
        and token == getattr(cs, "client_request_token", None)
        and cs.execution_status in ("EXECUTE_IN_PROGRESS", "EXECUTE_COMPLETE")
    ):
        return
    stack = self.stacks.get(cs.stack_id)
    first_event = len(stack.events) if stack is not None else 0
    try:
        _execute_once(self, change_set_name, stack_name)
    finally:
        if token:
            cs.client_request_token = token
            if stack is not None:
                for event in stack.events[first_event:]:
                    event.client_request_token = token
    if stack is not None:
        if cs.tags:
            stack.tags = dict(cs.tags)
        for other_id, other in list(self.change_sets.items()):
            if other is not cs and other.stack_id == cs.stack_id:
                del self.change_sets[other_id]


cfn_responses.CloudFormationResponse.execute_change_set = execute_change_set_response
cfn_models.CloudFormationBackend.execute_change_set = execute_as_cloudformation

# --- termination-protection -------------------------------------------------------------
# moto 5.2.5 has no `UpdateTerminationProtection`, and its `DeleteStack` deletes a protected
# stack. So deploy could never turn protection on, and destroy was never refused where AWS
# refuses it. The launcher implements the call and refuses the deletion with
# CloudFormation's message.

from moto.core.responses import ActionResult  # noqa: E402


def update_termination_protection(self):
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    stack.enable_termination_protection = self._get_bool_param(
        "EnableTerminationProtection", False
    )
    return ActionResult({"StackId": stack.stack_id})


cfn_responses.CloudFormationResponse.update_termination_protection = (
    update_termination_protection
)


def _refuse_protected(backend, name_or_stack_id):
    stack = backend.stacks.get(name_or_stack_id) or next(
        (s for s in backend.stacks.values() if s.name == name_or_stack_id), None
    )
    if stack is not None and getattr(stack, "enable_termination_protection", False):
        raise cfn_exceptions.ValidationError(
            message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is"
            " enabled"
        )


# --- list-imports -----------------------------------------------------------------------
# moto 5.2.5 has no `ListImports`, the call that says which stacks import an export (and so
# which stack a destroy would break). The launcher answers it from the live stacks'
# templates, with CloudFormation's error for an export nobody imports.


def _imported_names(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Fn::ImportValue" and isinstance(inner, str):
                yield inner
            else:
                yield from _imported_names(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _imported_names(inner)


def list_imports(self):
    export_name = self._get_param("ExportName")
    backend = self.cloudformation_backend
    importers = [
        s.name
        for s in backend.stacks.values()
        if export_name in set(_imported_names(getattr(s, "template_dict", None) or {}))
    ]
    if not importers:
        raise cfn_exceptions.ValidationError(
            message=f"Export '{export_name}' is not imported by any stack."
        )
    return ActionResult({"Imports": importers})


cfn_responses.CloudFormationResponse.list_imports = list_imports

# --- cloudwatch-rpc-v2-cbor -------------------------------------------------------------
# The AWS SDKs' CloudWatch clients now speak the Smithy RPC v2 CBOR protocol (the Rust
# SDK's of the release stackwright pins among them): `POST
# /service/GraniteServiceVersion20100801/operation/<Operation>`, a `smithy-protocol:
# rpc-v2-cbor` header and a CBOR body. moto 5.2.5 reads CloudWatch only in the query
# protocol (`POST /`, a form) and answers every such request 404, so nothing that reads
# alarms or metrics through the SDK could be tested against it. CloudWatch itself takes
# both. The launcher routes the CBOR path to moto's own CloudWatch code: the body is read
# into the parameters moto's query parser makes (botocore's shapes give both the same
# names), and the answer is written from the same shapes in CBOR, timestamps as epoch
# times (tag 1), an error's code in `__type` and in `x-amzn-query-error` (CloudWatch is
# `awsQueryCompatible`: that header carries the query protocol's code). Every operation
# moto's CloudWatch implements goes through, exactly as over the query protocol; none
# that it does not. Remove this patch when a moto release reads the protocol (when its
# parsers know `smithy-rpc-v2-cbor`, the patch does nothing).

_CBOR = "smithy-rpc-v2-cbor"
_CBOR_PATH = "{0}/service/GraniteServiceVersion20100801/operation/(?P<operation>[A-Za-z]+)$"


def _epoch(value):
    """Seconds since the epoch (milliseconds kept) of any timestamp moto holds, as a float:
    the SDK reads a CBOR timestamp's seconds only as a double, never as an integer."""
    aware = parse_to_aware_datetime(value).astimezone(datetime.timezone.utc)
    return float(calendar.timegm(aware.timetuple())) + aware.microsecond // 1000 / 1000.0


class RpcV2CborParser(moto_parse.JSONParser):
    """Reads a CBOR body into an operation's parameters, as moto's JSON parser reads JSON."""

    def _parse_body_as_json(self, body_contents):
        return cbor2.loads(body_contents) if body_contents else {}

    def _parse_timestamp(self, shape, value):
        # cbor2 reads tag 1 as an aware datetime; moto keeps naive UTC ones.
        if not isinstance(value, datetime.datetime):
            value = datetime.datetime.fromtimestamp(float(value), datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).replace(tzinfo=None)

    def _parse_blob(self, shape, value):
        return value  # a CBOR byte string, not base64 text


class RpcV2CborSerializer(moto_serialize.BaseJSONSerializer):
    """Writes an answer from an operation's shapes in CBOR, as moto's JSON serializer does JSON."""

    CONTENT_TYPE = "application/cbor"

    def serialize(self, result):
        resp = super().serialize(result)
        resp["headers"]["smithy-protocol"] = "rpc-v2-cbor"
        return resp

    def _get_protocol_specific_content_type(self):
        return self.CONTENT_TYPE

    def _serialize_body(self, body):
        return cbor2.dumps(body)

    def _serialize_type_timestamp(self, serialized, value, shape, key):
        self._default_serialize(serialized, cbor2.CBORTag(1, _epoch(value)), shape, key)

    def _serialize_type_blob(self, serialized, value, shape, key):
        raw = value.encode(self.DEFAULT_ENCODING) if isinstance(value, str) else value
        self._default_serialize(serialized, raw, shape, key)

    def _serialize_error_metadata(self, serialized, error, shape):
        super()._serialize_error_metadata(serialized, error, shape)
        serialized["message"] = serialized.get("Message", "")

    def _serialized_error_to_response(self, resp, error, shape, serialized_error):
        resp = super()._serialized_error_to_response(resp, error, shape, serialized_error)
        fault = "Sender" if shape.is_sender_fault else "Receiver"
        resp["headers"]["x-amzn-query-error"] = f"{shape.error_code};{fault}"
        return resp


class CloudWatchCborResponse(cloudwatch_responses.CloudWatchResponse):
    """moto's CloudWatch, reached at the RPC v2 CBOR path: the operation is the path's last
    segment, the parameters come from the CBOR body and the answer goes back in CBOR."""

    use_raw_body = True  # CBOR is no UTF-8 text

    def _get_action(self):
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    def parse_parameters(self, request):
        operation_model = get_service_model(self.boto3_service_name).operation_model(
            self._get_action()
        )
        parser = RpcV2CborParser(operation_model, map_type=self.PROTOCOL_PARSER_MAP_TYPE)
        self.params = parser.parse(
            {
                "method": request.method,
                "values": request.values,
                "headers": request.headers,
                "body": request.data,
                "url_path": request.path,
                "url_params": {},
            }
        )

    def determine_response_protocol(self, service_model):
        return _CBOR


if _CBOR not in moto_parse.PROTOCOL_PARSERS:
    moto_serialize.SERIALIZERS[_CBOR] = RpcV2CborSerializer
    cloudwatch_urls.url_paths[_CBOR_PATH] = CloudWatchCborResponse.dispatch

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
