"""EfsCsiStorage: the shared EFS file system as Kubernetes storage, through the EFS CSI driver.

On EKS Fargate the driver is built into the platform: no driver pods, no add-on, static
provisioning only. The ``efs.csi.aws.com`` CSIDriver object is **not** created here: EKS already
ships it ("A Pod running on Fargate automatically mounts an Amazon EFS file system, without
needing manual driver installation steps", awsdocs/amazon-eks-user-guide
``latest/ug/storage/efs-csi.adoc``), and with EC2 nodes the ``aws-efs-csi-driver`` add-on owns
it. pulumi-kubernetes creates objects client-side (no upsert unless the provider sets
``upsertExistingObjects``, pulumi/pulumi-kubernetes#4278), so creating it fails with
AlreadyExists; adopting it would let a later delete or replace remove EKS's object, after which
every EFS mount fails with "driver name efs.csi.aws.com not found in the list of registered CSI
drivers" (eksctl-io/eksctl#7518, kubernetes-sigs/aws-efs-csi-driver#1494). This component
creates:

* the StorageClass ``efs-sc`` and a PersistentVolume on it whose ``volumeHandle`` is
  ``fs-…::fsap-…`` (the access point fixes the POSIX user and root directory), ReadWriteMany,
  reclaim policy Retain, with the dummy capacity Kubernetes requires (EFS is elastic);
* the workload namespace (Pod Security Standard ``restricted`` enforced) and a claim bound to
  that volume by name (``volumeName``), so no other volume can satisfy it;
* a sample Deployment whose replicas each append to their own file on the shared volume, from an
  image pinned by digest (``image``, default :data:`DEFAULT_SAMPLE_IMAGE`), running
  as the access point's POSIX user, non-root, read-only root file system, every capability
  dropped, with resource requests (on Fargate they size the pod);
* with EC2 nodes only (``ec2_nodes``), the StorageClass ``efs-ap`` for dynamic provisioning: one
  access point per claim under ``base_path``, with its own GID from a range, volumes retained.

Encryption in transit is the driver's default and nothing here turns it off. The static volume
mounts without the ``iam`` option: Fargate pods have no IAM identity to present, so the file
system must grant the access point to anonymous clients (``SharedFileSystem.grant_anonymous``)
and admit the cluster security group on 2049. Dynamic volumes mount with ``iam`` as the node's
role (``SharedFileSystem.grant_any_access_point``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from . import image_ref
from ._validation import ArgumentError, require_int_range

EFS_CSI_DRIVER = "efs.csi.aws.com"
STATIC_STORAGE_CLASS = "efs-sc"
DYNAMIC_STORAGE_CLASS = "efs-ap"
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
#: The sample writer's image: Docker's official busybox 1.37, the multi-platform index digest
#: docker-library/repo-info records for ``busybox:1.37`` (repos/busybox/remote/1.37.md at
#: 01a7054230d50b3dccaf8d579f161c522be8c9f0: ``busybox@sha256:9db7b599…``). A tag can be
#: re-pointed at any time; this digest names exactly those bytes (checkov CKV_K8S_43).
DEFAULT_SAMPLE_IMAGE = (
    "docker.io/library/busybox:1.37@sha256:9db7b59979c38555a39def84a31fb98b5296952f9e3afd4f6f11f05b07adfab0"
)
_MAX_ID = 4294967295


@dataclass(frozen=True)
class EfsCsiStorageArgs:
    file_system_id: pulumi.Input[str]
    access_point_id: pulumi.Input[str]
    uid: int
    gid: int
    """The access point's POSIX user: the sample pods run as it."""

    namespace: str = "efs-app"
    claim_name: str = "shared-efs"
    ec2_nodes: bool = False
    """The cluster has EC2 nodes and the aws-efs-csi-driver add-on (dynamic provisioning possible)."""

    dynamic_provisioning: bool = False
    """Add the ``efs-ap`` StorageClass (EC2 nodes only: Fargate supports static volumes only)."""

    base_path: str = "/dynamic"
    gid_range: tuple[int, int] = (50000, 59999)
    replicas: int = 2
    mount_path: str = "/data"
    image: str = DEFAULT_SAMPLE_IMAGE
    """The sample writer's image, pinned by digest (a POSIX shell and ``date`` are all it needs)."""

    cpu_request: str = "250m"
    memory: str = "256Mi"

    def __post_init__(self) -> None:
        require_int_range("uid", self.uid, 0, _MAX_ID)
        if self.uid == 0:
            raise ArgumentError("uid", 0, "the access point's POSIX user must not be root: the pods run as it")
        require_int_range("gid", self.gid, 0, _MAX_ID)
        for field in ("namespace", "claim_name"):
            if not _DNS_LABEL.match(getattr(self, field)):
                raise ArgumentError(field, getattr(self, field), "must be 1-63 of a-z, 0-9 and -")
        if self.dynamic_provisioning and not self.ec2_nodes:
            raise ArgumentError(
                ("dynamic_provisioning", "ec2_nodes"),
                True,
                "needs EC2 nodes: EKS Fargate supports only static provisioning; enable the node group or turn "
                "dynamic provisioning off",
            )
        for field in ("base_path", "mount_path"):
            path = getattr(self, field)
            if not path.startswith("/") or path == "/" or path.endswith("/"):
                raise ArgumentError(field, path, "must be an absolute path below /, without a trailing /")
        low, high = self.gid_range
        require_int_range("gid_range", low, 1, _MAX_ID)
        require_int_range("gid_range", high, low, _MAX_ID)
        require_int_range("replicas", self.replicas, 1, 50)
        if not isinstance(self.image, str) or not image_ref.is_pinned(self.image):
            raise ArgumentError(
                "image",
                self.image,
                "must be pinned by digest: [registry/]repository[:tag]@sha256:<64 hex digits> "
                "(find it with `crane digest <image:tag>` or `docker buildx imagetools inspect <image:tag>`)",
            )


class EfsCsiStorage(pulumi.ComponentResource):
    """EFS volumes for Kubernetes (see the module docstring). ``opts`` must carry the cluster's
    Kubernetes provider; ``depends_on`` what pods need (the cluster's ``ready`` list)."""

    namespace: k8s.core.v1.Namespace
    persistent_volume: k8s.core.v1.PersistentVolume
    claim: k8s.core.v1.PersistentVolumeClaim
    deployment: k8s.apps.v1.Deployment
    dynamic_storage_class: k8s.storage.v1.StorageClass | None

    persistent_volume_name: pulumi.Output[str]
    claim_name: pulumi.Output[str]

    def __init__(self, name: str, args: EfsCsiStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("efs-platform:index:EfsCsiStorage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        static_class = k8s.storage.v1.StorageClass(
            f"{name}-static",
            metadata={"name": STATIC_STORAGE_CLASS},
            provisioner=EFS_CSI_DRIVER,
            reclaim_policy="Retain",
            opts=child,
        )
        self.dynamic_storage_class = None
        if args.dynamic_provisioning:
            self.dynamic_storage_class = k8s.storage.v1.StorageClass(
                f"{name}-dynamic",
                metadata={"name": DYNAMIC_STORAGE_CLASS},
                provisioner=EFS_CSI_DRIVER,
                parameters={
                    "provisioningMode": "efs-ap",
                    "fileSystemId": args.file_system_id,
                    "directoryPerms": "700",
                    "gidRangeStart": str(args.gid_range[0]),
                    "gidRangeEnd": str(args.gid_range[1]),
                    "basePath": args.base_path,
                },
                # Mount as the node's IAM role, which the file system grants for its access points.
                mount_options=["iam"],
                reclaim_policy="Retain",
                volume_binding_mode="Immediate",
                opts=child,
            )

        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={
                "name": args.namespace,
                "labels": {
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                },
            },
            opts=child,
        )
        self.persistent_volume = k8s.core.v1.PersistentVolume(
            f"{name}-pv",
            metadata={"labels": {"app.kubernetes.io/part-of": name}},
            spec={
                # EFS is elastic; Kubernetes requires a capacity and the driver ignores it.
                "capacity": {"storage": "5Gi"},
                "volume_mode": "Filesystem",
                "access_modes": ["ReadWriteMany"],
                "persistent_volume_reclaim_policy": "Retain",
                "storage_class_name": STATIC_STORAGE_CLASS,
                "csi": {
                    "driver": EFS_CSI_DRIVER,
                    "volume_handle": pulumi.Output.concat(args.file_system_id, "::", args.access_point_id),
                },
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[static_class]),
        )
        self.claim = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-claim",
            metadata={"name": args.claim_name, "namespace": self.namespace.metadata.name},
            spec={
                "access_modes": ["ReadWriteMany"],
                "storage_class_name": STATIC_STORAGE_CLASS,
                "volume_name": self.persistent_volume.metadata.name,
                "resources": {"requests": {"storage": "5Gi"}},
            },
            opts=child,
        )
        labels = {"app.kubernetes.io/name": f"{name}-writer", "app.kubernetes.io/part-of": name}
        metadata: k8s.meta.v1.ObjectMetaArgsDict = {
            "name": f"{name}-writer",
            "namespace": self.namespace.metadata.name,
            "labels": labels,
        }
        spec: k8s.apps.v1.DeploymentSpecArgsDict = {
            "replicas": args.replicas,
            "selector": {"match_labels": labels},
            "template": {"metadata": {"labels": labels}, "spec": _writer_pod(args, self.claim.metadata.name)},
        }
        self.deployment = k8s.apps.v1.Deployment(f"{name}-writer", metadata=metadata, spec=spec, opts=child)

        self.persistent_volume_name = self.persistent_volume.metadata.name
        self.claim_name = self.claim.metadata.name
        self.register_outputs({"persistentVolumeName": self.persistent_volume_name, "claimName": self.claim_name})


def _writer_pod(args: EfsCsiStorageArgs, claim_name: pulumi.Input[str]) -> k8s.core.v1.PodSpecArgsDict:
    """Each replica appends a timestamp to its own file, named after the pod, every 5 seconds."""
    return {
        "automount_service_account_token": False,
        "security_context": {
            "run_as_non_root": True,
            "run_as_user": args.uid,
            "run_as_group": args.gid,
            "seccomp_profile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": "writer",
                "image": args.image,
                "command": ["/bin/sh", "-c"],
                "args": [f'while true; do date -u >> "{args.mount_path}/$POD_NAME.log"; sleep 5; done'],
                "env": [{"name": "POD_NAME", "value_from": {"field_ref": {"field_path": "metadata.name"}}}],
                "resources": {
                    "requests": {"cpu": args.cpu_request, "memory": args.memory},
                    "limits": {"memory": args.memory},
                },
                "security_context": {
                    "allow_privilege_escalation": False,
                    "read_only_root_filesystem": True,
                    "capabilities": {"drop": ["ALL"]},
                },
                "volume_mounts": [{"name": "shared", "mount_path": args.mount_path}],
            }
        ],
        "volumes": [{"name": "shared", "persistent_volume_claim": {"claim_name": claim_name}}],
    }


__all__ = [
    "DEFAULT_SAMPLE_IMAGE",
    "DYNAMIC_STORAGE_CLASS",
    "EFS_CSI_DRIVER",
    "STATIC_STORAGE_CLASS",
    "EfsCsiStorage",
    "EfsCsiStorageArgs",
]
