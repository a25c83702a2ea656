"""How the offline preview and the policy pack scale with the size of a program.

Generates Pulumi programs of N copies of a small EFS unit and times the offline preview of each
without the policy pack (the engine's own time) and with it. The pack's share must stay small
and grow linearly with N: at 800 resources it may add at most half of the engine's time, and
3,200 resources must preview with the pack in under a minute on 2 cores. A figure to read, not a
test: a noisy machine never fails CI.

Shapes:
  efs      per copy: VPC, subnet, two security groups, an NFS rule, a KMS key, a file system and
           a mount target (8 resources)
  service  per copy: the above plus a task role, a task definition mounting the file system
           through an access point, a file system policy and a Fargate service (13 resources)

    python benchmarks/scale.py [--copies 100 400] [--shape efs service] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

UNIT = """
    vpc = aws.ec2.Vpc(f"vpc-{i}", cidr_block="10.0.0.0/16", enable_dns_hostnames=True)
    aws.ec2.DefaultSecurityGroup(f"default-{i}", vpc_id=vpc.id) if ADOPT else None
    subnet = aws.ec2.Subnet(f"subnet-{i}", vpc_id=vpc.id, cidr_block="10.0.1.0/24", availability_zone="eu-west-1a")
    app = aws.ec2.SecurityGroup(f"app-{i}", vpc_id=vpc.id)
    efs = aws.ec2.SecurityGroup(f"efs-{i}", vpc_id=vpc.id)
    aws.vpc.SecurityGroupIngressRule(f"nfs-{i}", security_group_id=efs.id, referenced_security_group_id=app.id,
                                     ip_protocol="tcp", from_port=2049, to_port=2049)
    key = aws.kms.Key(f"key-{i}", enable_key_rotation=True)
    fs = aws.efs.FileSystem(f"fs-{i}", encrypted=True, kms_key_id=key.arn)
    aws.efs.MountTarget(f"mt-{i}", file_system_id=fs.id, subnet_id=subnet.id, security_groups=[efs.id])
"""

SERVICE = """
    ap = aws.efs.AccessPoint(f"ap-{i}", file_system_id=fs.id, posix_user={"uid": 1000, "gid": 1000},
                             root_directory={"path": "/app", "creation_info": {"owner_uid": 1000,
                                             "owner_gid": 1000, "permissions": "750"}})
    role = aws.iam.Role(f"task-{i}", assume_role_policy=TRUST)
    aws.efs.FileSystemPolicy(f"policy-{i}", file_system_id=fs.id, policy=pulumi.Output.json_dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": fs.arn,
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Effect": "Allow", "Principal": {"AWS": role.arn}, "Resource": fs.arn,
             "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
             "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": ap.arn}}}]}))
    td = aws.ecs.TaskDefinition(f"td-{i}", family=f"app-{i}", requires_compatibilities=["FARGATE"],
        network_mode="awsvpc", cpu="256", memory="512", task_role_arn=role.arn,
        container_definitions=json.dumps([{"name": "app", "image": "nginx", "user": "1000:1000",
            "readonlyRootFilesystem": True, "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}]}]),
        volumes=[{"name": "data", "efs_volume_configuration": {"file_system_id": fs.id,
            "transit_encryption": "ENABLED", "authorization_config": {"access_point_id": ap.id, "iam": "ENABLED"}}}])
    aws.ecs.Service(f"svc-{i}", task_definition=td.arn, launch_type="FARGATE", desired_count=1,
        network_configuration={"subnets": [subnet.id], "security_groups": [app.id]})
"""

HEADER = """import json
import pulumi
import pulumi_aws as aws

ADOPT = False
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]})
for i in range(COPIES):
"""

PER_COPY = {"efs": 8, "service": 13}


def write_program(directory: Path, copies: int, shape: str) -> None:
    """A Pulumi project of ``copies`` units of ``shape`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(f"name: scale-{shape}\nruntime: python\n")
    (directory / "Pulumi.bench.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    body = UNIT + (SERVICE if shape == "service" else "")
    (directory / "__main__.py").write_text(HEADER.replace("COPIES", str(copies)) + body)


def _time(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, nargs="+", default=[100, 400])
    parser.add_argument("--shape", choices=sorted(PER_COPY), nargs="+", default=["efs", "service"])
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {options.runs} runs")
    print(f"{'shape':<9}{'resources':>10}{'engine s':>10}{'with pack s':>13}{'pack s':>9}{'pack/engine':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for shape in options.shape:
            for copies in options.copies:
                program = Path(tmp) / f"{shape}-{copies}"
                write_program(program, copies, shape)
                preview = ["-m", "offline", "preview", "--stack", "bench", "--program", str(program), "--quiet"]
                bare = statistics.median(_time([*preview, "--no-policy"]) for _ in range(options.runs))
                full = statistics.median(_time(preview) for _ in range(options.runs))
                pack = full - bare
                resources = copies * PER_COPY[shape]
                print(f"{shape:<9}{resources:>10}{bare:>10.1f}{full:>13.1f}{pack:>9.1f}{pack / bare:>13.2f}")


if __name__ == "__main__":
    main()
