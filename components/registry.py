"""ContainerRegistry: the ECR repository the platform's services pull their image from.

Secure by default: KMS encryption with a rotating customer-managed key (or the key given), scan
on push, IMMUTABLE tags (a tag names one image forever, so a commit SHA is a stable deploy and
rollback name), a lifecycle policy that keeps the last N tagged images and expires untagged ones
after D days, never force-deleted, and protected against ``pulumi destroy``.

Optionally builds and pushes an image from a local build context with ``awsx.ecr.Image`` at
deploy time (Docker is needed then, never for a preview).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from ._aws import where
from ._kms import rotating_key
from ._validation import ArgumentError, require_int_range


@dataclass(frozen=True)
class ContainerRegistryArgs:
    keep_tagged_images: int = 30
    """How many tagged images to keep (the newest), 1 to 1000."""

    untagged_expiry_days: int = 7
    """Days after which untagged images expire, 1 to 3650."""

    kms_key_arn: pulumi.Input[str] | None = None
    """Customer-managed KMS key to encrypt with; a rotating key is created when not given."""

    build_context: str | None = None
    """Directory with a Dockerfile to build and push at deploy time (``awsx.ecr.Image``)."""

    image_tag: str = "initial"
    """Tag of the image the platform runs (CI passes the commit SHA); with ``build_context`` the
    tag is the context's content hash instead (:func:`context_tag`)."""

    protect: bool = True
    """Protect the repository against ``pulumi destroy`` (images are data)."""

    def __post_init__(self) -> None:
        require_int_range("keep_tagged_images", self.keep_tagged_images, 1, 1000)
        require_int_range("untagged_expiry_days", self.untagged_expiry_days, 1, 3650)
        if not isinstance(self.image_tag, str) or not _valid_tag(self.image_tag):
            raise ArgumentError(
                "image_tag",
                self.image_tag,
                "must be a Docker tag: 1-128 of letters, digits, _ . - (not starting with . or -)",
            )


def context_tag(build_context: str) -> str:
    """``ctx-`` and the first 20 hex digits of the SHA-256 of a build context: every file's
    relative path and content, in path order (``.git`` left out). The same content gives the
    same tag on any machine; any change to a file gives another."""
    root = Path(build_context)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return "ctx-" + digest.hexdigest()[:20]


def _valid_tag(tag: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", tag) is not None


def lifecycle_policy(keep_tagged: int, untagged_days: int) -> str:
    """The ECR lifecycle policy document (rules are evaluated by priority)."""
    return json.dumps(
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": f"Expire untagged images after {untagged_days} days",
                    "selection": {
                        "tagStatus": "untagged",
                        "countType": "sinceImagePushed",
                        "countUnit": "days",
                        "countNumber": untagged_days,
                    },
                    "action": {"type": "expire"},
                },
                {
                    "rulePriority": 2,
                    "description": f"Keep the last {keep_tagged} tagged images",
                    "selection": {
                        "tagStatus": "tagged",
                        "tagPatternList": ["*"],
                        "countType": "imageCountMoreThan",
                        "countNumber": keep_tagged,
                    },
                    "action": {"type": "expire"},
                },
            ]
        }
    )


class ContainerRegistry(pulumi.ComponentResource):
    """An encrypted, scanned, immutable ECR repository with a lifecycle policy."""

    repository: aws.ecr.Repository
    repository_url: pulumi.Output[str]
    repository_arn: pulumi.Output[str]
    image: pulumi.Output[str]
    """The image reference the platform runs: built digest, or ``<repository_url>:<image_tag>``."""

    def __init__(self, name: str, args: ContainerRegistryArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("efs-platform:index:ContainerRegistry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)

        here = where(self)
        account_id, region = here.account_id, here.region
        kms_key_arn = args.kms_key_arn
        if kms_key_arn is None:
            key = rotating_key(
                f"{name}-key",
                f"{name}: encrypts the ECR repository",
                partition=here.partition,
                account_id=account_id,
                opts=child,
                keeps_retained_data=args.protect,
            )
            kms_key_arn = key.arn

        # An explicit, per-stack name makes the image reference known before the repository
        # exists, so a preview of a new stack can still check the task definition.
        repository_name = re.sub(r"[^a-z0-9._/-]", "-", f"{pulumi.get_project()}/{pulumi.get_stack()}/{name}".lower())
        self.repository = aws.ecr.Repository(
            f"{name}-repo",
            name=repository_name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=kms_key_arn)
            ],
            force_delete=False,
            # A protected repository is also retained: the images prod runs (and rolls back to)
            # outlive the stack, like the file system's data.
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, retain_on_delete=args.protect),
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=self.repository.name,
            policy=lifecycle_policy(args.keep_tagged_images, args.untagged_expiry_days),
            opts=child,
        )
        self.repository_url = self.repository.repository_url
        self.repository_arn = self.repository.arn

        if args.build_context:
            built = awsx.ecr.Image(
                f"{name}-image",
                repository_url=self.repository_url,
                context=args.build_context,
                platform="linux/amd64",
                # IMMUTABLE tags refuse a second push of a tag (ImageTagAlreadyExistsException,
                # https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html):
                # the tag names the build context's content, so a changed context is a new tag
                # and an unchanged one is the image already pushed.
                image_tag=context_tag(args.build_context),
                opts=child,
            )
            self.image = built.image_uri
        else:
            registry = f"{account_id}.dkr.ecr.{region}.{here.dns_suffix}"
            self.image = pulumi.Output.from_input(f"{registry}/{repository_name}:{args.image_tag}")

        self.register_outputs(
            {"repositoryUrl": self.repository_url, "repositoryArn": self.repository_arn, "image": self.image}
        )
