"""The scenario format: pydantic models mirroring AWS Batch's own request shapes.

AWS field names, enums and limits are used verbatim, so a user can paste a real job definition.
What AWS does not have (runtimes, boot latency, failure rates) lives in ``simulation`` blocks.
Models reject unknown keys. Checks that span several objects (names that must exist, one
architecture per CE, …) live in :mod:`batchsim.scenario.checks` so that all problems are
reported together.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from batchsim.scenario.distributions import DistributionModel, Exponential, ExponentialParams
from batchsim.scenario.schedules import parse_schedule
from batchsim.scenario.types import Duration, MemoryMiB, Rate, StrictModel
from batchsim.scenario.units import MAX_DURATION_S, parse_memory_mib

AnyAws = Any  # AWS fields accepted for pasting convenience; they do not change the simulation.

DEFAULT_BOOT_TIME = {"lognormal": {"median": "90s", "p95": "180s"}}
REVISION = re.compile(r":(\d+)$")
"""The revision at the end of a job definition reference (``'work:3'``)."""


def definition_name(reference: str) -> str:
    """Return the job definition name in ``reference``: ``'work:3'`` → ``'work'``."""
    return REVISION.sub("", reference)


# ----------------------------------------------------------------------------- global settings
class SimulationSettings(StrictModel):
    """Global knobs: seed, region for prices, horizon and scheduler cadence."""

    seed: int = Field(
        default=1, ge=0, description="Root seed; every random stream derives from it."
    )
    region: Literal["us-east-1"] = Field(
        default="us-east-1", description="Catalog region for prices."
    )
    stopAt: Duration | None = Field(
        default=None, description="Horizon; default: until nothing can happen."
    )
    schedulerInterval: Duration = Field(
        default=0.0,
        description="0 = evaluate on every change; >0 = periodic cycles like the service.",
    )
    allocatableMemoryFactor: float = Field(
        default=0.975, gt=0, le=1, description="Share of nominal memory ECS registers."
    )
    reservedMemoryMiB: float = Field(
        default=32.0, ge=0, description="ECS_RESERVED_MEMORY per instance."
    )

    def allocatable_mib(self, memory_mib: float) -> float:
        """Return the memory ECS registers on an instance of ``memory_mib`` (nominal × factor
        − reserved): what jobs may use."""
        return memory_mib * self.allocatableMemoryFactor - self.reservedMemoryMiB

    submitJobRate: Rate | None = Field(
        default=None,
        gt=0,
        description="SubmitJob calls accepted per second (AWS: 50/s); default: unlimited.",
    )


class CustomInstanceType(StrictModel):
    """An instance type the catalog lacks (on-premises-like hardware, a new generation)."""

    instanceType: str = Field(min_length=1)
    vcpus: int = Field(ge=1)
    memory: MemoryMiB = Field(gt=0, description="Nominal memory (MiB or '16GiB').")
    gpus: int = Field(default=0, ge=0)
    architecture: Literal["x86_64", "arm64"] = "x86_64"
    onDemandPricePerHour: float = Field(ge=0, description="USD per hour.")
    spotSavingsPercent: float | None = Field(default=None, ge=0, le=100)
    interruptionBucket: Literal[0, 1, 2, 3, 4] | None = None


# ----------------------------------------------------------------------------- compute
class ScalingPolicy(StrictModel):
    """AWS ``scalingPolicy``: keep idle instances at least this long after their last job."""

    minScaleDownDelayMinutes: int = Field(ge=0, le=10080)

    @model_validator(mode="after")
    def _aws_range(self) -> ScalingPolicy:
        if self.minScaleDownDelayMinutes != 0 and self.minScaleDownDelayMinutes < 20:
            raise ValueError("minScaleDownDelayMinutes must be 0 (unset) or 20–10080")
        return self


class ComputeResources(StrictModel):
    """AWS ``computeResources`` of a managed compute environment."""

    type: Literal["EC2", "SPOT", "FARGATE", "FARGATE_SPOT"]
    allocationStrategy: Literal[
        "BEST_FIT",
        "BEST_FIT_PROGRESSIVE",
        "BEST_FIT_PROGRESSIVE_ORDERED",
        "SPOT_CAPACITY_OPTIMIZED",
        "SPOT_PRICE_CAPACITY_OPTIMIZED",
        "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED",
    ] = "BEST_FIT"
    minvCpus: int = Field(default=0, ge=0)
    maxvCpus: int = Field(ge=0)
    desiredvCpus: int | None = Field(default=None, ge=0)
    instanceTypes: list[str] = Field(default_factory=lambda: ["optimal"], min_length=1)
    bidPercentage: int | None = Field(default=None, ge=0, le=100)
    scalingPolicy: ScalingPolicy | None = None
    # Accepted so real definitions paste cleanly; no effect on the simulation.
    subnets: AnyAws = None
    securityGroupIds: AnyAws = None
    instanceRole: AnyAws = None
    spotIamFleetRole: AnyAws = None
    ec2KeyPair: AnyAws = None
    imageId: AnyAws = None
    launchTemplate: AnyAws = None
    ec2Configuration: AnyAws = None
    placementGroup: AnyAws = None
    tags: AnyAws = None
    capacityTags: AnyAws = None

    @model_validator(mode="after")
    def _min_le_max(self) -> ComputeResources:
        if self.minvCpus > self.maxvCpus:
            raise ValueError(
                f"minvCpus ({self.minvCpus}) must not exceed maxvCpus ({self.maxvCpus})"
            )
        return self


class PricePoint(StrictModel):
    """One step of a Spot price series: ``price`` (USD per hour) holds from ``at`` on."""

    at: Duration
    price: float = Field(ge=0, description="USD per hour.")


class _Interruptions(StrictModel):
    """When a Spot instance is reclaimed: an exponential lifetime given by its rate or its mean,
    or any lifetime distribution (a fixed '2h' makes an interruption happen at a known time)."""

    interruptionRate: Rate | None = Field(
        default=None, ge=0, description="Reclaims per instance-time ('0.1/h')."
    )
    meanTimeToInterruption: Duration | None = Field(
        default=None, gt=0, description="Mean instance lifetime."
    )
    lifetime: DistributionModel | None = Field(
        default=None, description="Launch → reclaim, any distribution."
    )

    @model_validator(mode="after")
    def _one_way(self) -> _Interruptions:
        given = [
            k
            for k in ("interruptionRate", "meanTimeToInterruption", "lifetime")
            if getattr(self, k) is not None
        ]
        if len(given) > 1:
            raise ValueError(
                f"give one of interruptionRate, meanTimeToInterruption or lifetime, not {' and '.join(given)}"
            )
        return self

    def lifetime_model(self) -> DistributionModel | float | None:
        """Return the lifetime distribution these settings give (None when they give none).

        A rate of 0 means never reclaimed (an infinite lifetime).
        """
        if self.lifetime is not None:
            return self.lifetime
        if self.meanTimeToInterruption is not None:
            return Exponential(exponential=ExponentialParams(mean=self.meanTimeToInterruption))
        if self.interruptionRate is not None:
            if self.interruptionRate == 0:
                return math.inf
            return Exponential(exponential=ExponentialParams(mean=1.0 / self.interruptionRate))
        return None


class SpotTypeSettings(_Interruptions):
    """Spot settings of one instance type: its interruption rate and price (fixed or a series)."""

    price: float | None = Field(default=None, ge=0, description="Spot price, USD per hour.")
    priceSeries: list[PricePoint] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_price(self) -> SpotTypeSettings:
        if self.price is not None and self.priceSeries is not None:
            raise ValueError("give price or priceSeries, not both")
        series = self.priceSeries or []
        if any(b.at <= a.at for a, b in zip(series, series[1:], strict=False)):
            raise ValueError("priceSeries times must increase")
        return self


class SpotSettings(_Interruptions):
    """A SPOT compute environment's market: interruption rates, notice, per-type overrides."""

    noticeTime: Duration = Field(
        default=120.0, ge=0, description="Interruption notice before reclaim."
    )
    instanceTypes: dict[str, SpotTypeSettings] = Field(default_factory=dict)

    def type_lifetime_model(self, type_name: str) -> DistributionModel | float | None:
        """Return the lifetime model of a Spot instance of ``type_name``: its own settings',
        else the CE's (None: the Spot Advisor bucket of the type decides; inf: never)."""
        override = self.instanceTypes.get(type_name)
        own = override.lifetime_model() if override is not None else None
        return own if own is not None else self.lifetime_model()


class CapacityShortage(StrictModel):
    """A window in which EC2 cannot launch some instance types (InsufficientInstanceCapacity)."""

    instanceTypes: list[str] | None = Field(
        default=None, description="Default: every type of the CE."
    )
    start: Duration = 0.0
    end: Duration | None = Field(default=None, description="Default: the end of the run.")
    probability: float = Field(default=1.0, gt=0, le=1, description="Chance that one launch fails.")
    retryAfter: Duration = Field(
        default=60.0, gt=0, description="Wait before a failed type is tried again."
    )

    @model_validator(mode="after")
    def _ordered(self) -> CapacityShortage:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end:g} s) must come after start ({self.start:g} s)")
        return self


class UnmanagedInstances(StrictModel):
    """Instances registered by hand in an UNMANAGED compute environment."""

    instanceType: str = Field(min_length=1, description="A catalog or custom instance type.")
    count: int = Field(default=1, ge=1)
    pricePerHour: float | None = Field(
        default=None, ge=0, description="Default: its on-demand price."
    )


class ComputeEnvironmentSimulation(StrictModel):
    """What AWS does not expose about a compute environment: boot latency, idle timeout,
    the Spot market and capacity shortages."""

    bootTime: DistributionModel = Field(  # type: ignore[assignment]  # NOTE: validated default
        default=DEFAULT_BOOT_TIME, description="Launch → registered with ECS, ready for jobs."
    )
    scaleDownDelay: Duration = Field(
        default=300.0, description="Idle time before termination (scalingPolicy wins if set)."
    )
    minvCpusReadyAtStart: bool = Field(
        default=True, description="minvCpus instances exist and are ready at t=0 (a warm pool)."
    )
    spot: SpotSettings | None = Field(default=None, description="SPOT compute environments only.")
    capacityShortages: list[CapacityShortage] = Field(default_factory=list)
    instances: list[UnmanagedInstances] = Field(
        default_factory=list, description="UNMANAGED compute environments: the fixed instances."
    )


class ComputeEnvironment(StrictModel):
    """AWS ``CreateComputeEnvironment`` request plus a ``simulation`` block."""

    computeEnvironmentName: str = Field(min_length=1, max_length=128)
    type: Literal["MANAGED", "UNMANAGED"] = "MANAGED"
    state: Literal["ENABLED", "DISABLED"] = "ENABLED"
    computeResources: ComputeResources | None = None
    unmanagedvCpus: int | None = Field(
        default=None, ge=0, description="UNMANAGED only: the vCPUs fair share reserves from."
    )
    serviceRole: AnyAws = None
    tags: AnyAws = None
    context: AnyAws = None
    ecsSettings: AnyAws = None
    simulation: ComputeEnvironmentSimulation = ComputeEnvironmentSimulation()


# ----------------------------------------------------------------------------- queues
class ComputeEnvironmentOrder(StrictModel):
    """One entry of a queue's ``computeEnvironmentOrder``."""

    order: int = Field(ge=0)
    computeEnvironment: str


class JobQueueSimulation(StrictModel):
    """Scheduling knobs AWS does not expose on a queue."""

    backfill: bool = Field(
        default=True,
        description="Later jobs of other shapes may take room the head job cannot use; false = strict FIFO.",
    )


class JobStateTimeLimitAction(StrictModel):
    """AWS ``JobStateTimeLimitAction``: cancel the job at the head of the queue once it has been
    RUNNABLE with ``reason`` for ``maxTimeSeconds``."""

    reason: Literal[
        "CAPACITY:INSUFFICIENT_INSTANCE_CAPACITY",
        "MISCONFIGURATION:COMPUTE_ENVIRONMENT_MAX_RESOURCE",
        "MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT",
    ]
    state: Literal["RUNNABLE"] = "RUNNABLE"
    maxTimeSeconds: int = Field(ge=600, le=86400)
    # NOTE: TERMINATE is refused from the service-model table (SageMaker queues only on AWS).
    action: Literal["CANCEL"] = "CANCEL"


class ShareAttributes(StrictModel):
    """One entry of a fair-share policy's ``shareDistribution``: a lower ``weightFactor``
    gets more compute; an identifier ending in ``*`` covers every identifier with that prefix."""

    shareIdentifier: str = Field(min_length=1, max_length=255)
    weightFactor: float = Field(default=1.0, ge=0.0001, le=999.9999)

    @field_validator("shareIdentifier")
    @classmethod
    def _identifier(cls, value: str) -> str:
        return share_identifier(value, prefix_allowed=True)


def share_identifier(value: str, prefix_allowed: bool = False) -> str:
    """Check an AWS share identifier: letters and digits (a trailing * in a policy's prefix)."""
    name = value[:-1] if prefix_allowed and value.endswith("*") else value
    if not name.isascii() or not name.isalnum():
        star = " (a trailing * makes it a prefix)" if prefix_allowed else ""
        raise ValueError(f"a share identifier is letters and digits only{star}, got {value!r}")
    return value


class FairsharePolicy(StrictModel):
    """AWS ``FairsharePolicy``."""

    shareDecaySeconds: int = Field(
        default=0, ge=0, le=604800, description="Time constant of usage history; 0 = 600 s."
    )
    computeReservation: int = Field(
        default=0, ge=0, le=99, description="Reserve (value/100)^active shares of max vCPUs."
    )
    shareDistribution: list[ShareAttributes] = Field(default_factory=list, max_length=500)


class SchedulingPolicy(StrictModel):
    """AWS ``CreateSchedulingPolicy`` request; a queue names it in ``schedulingPolicyArn``."""

    name: str = Field(min_length=1, max_length=128)
    fairsharePolicy: FairsharePolicy = FairsharePolicy()
    tags: AnyAws = None


class JobQueue(StrictModel):
    """AWS ``CreateJobQueue`` request plus a ``simulation`` block; with ``schedulingPolicyArn``
    it is a fair-share queue, else FIFO."""

    jobQueueName: str = Field(min_length=1, max_length=128)
    state: Literal["ENABLED", "DISABLED"] = "ENABLED"
    priority: int = Field(default=1, ge=0)
    schedulingPolicyArn: str | None = Field(
        default=None, min_length=1, description="A scheduling policy's name or ARN."
    )
    computeEnvironmentOrder: list[ComputeEnvironmentOrder] = Field(min_length=1, max_length=3)
    jobStateTimeLimitActions: list[JobStateTimeLimitAction] = Field(
        default_factory=list, max_length=5
    )
    tags: AnyAws = None
    jobQueueType: Literal["ECS", "ECS_FARGATE"] | None = None
    simulation: JobQueueSimulation = JobQueueSimulation()


# ----------------------------------------------------------------------------- job definitions
class ResourceRequirement(StrictModel):
    """``{type: VCPU|MEMORY|GPU, value}``; values are strings in AWS, numbers accepted too."""

    type: Literal["VCPU", "MEMORY", "GPU"]
    value: str | int | float

    def amount(self) -> float:
        """Return the value as a number (MEMORY in MiB, units allowed); raise ValueError if it is not one."""
        return parse_memory_mib(self.value) if self.type == "MEMORY" else float(self.value)


class EvaluateOnExit(StrictModel):
    """One ``evaluateOnExit`` rule; patterns may end with ``*`` (prefix match)."""

    onStatusReason: str | None = Field(default=None, max_length=512)
    onReason: str | None = Field(default=None, max_length=512)
    onExitCode: str | None = Field(default=None, max_length=512)
    action: Literal["RETRY", "EXIT", "retry", "exit", "Retry", "Exit"]


class RetryStrategy(StrictModel):
    """AWS ``retryStrategy``: attempts 1–10 and up to 5 evaluateOnExit rules."""

    attempts: int = Field(default=1, ge=1, le=10)
    evaluateOnExit: list[EvaluateOnExit] = Field(default_factory=list, max_length=5)


class JobTimeout(StrictModel):
    """AWS ``timeout``: per-attempt limit, at least 60 s."""

    attemptDurationSeconds: int = Field(ge=60)


class ContainerProperties(StrictModel):
    """AWS ``containerProperties``; resources, image and the rest accepted verbatim."""

    image: str = "public.ecr.aws/docker/library/busybox:latest"
    resourceRequirements: list[ResourceRequirement] = Field(default_factory=list)
    vcpus: int | None = Field(
        default=None, ge=1, description="Deprecated AWS key; prefer resourceRequirements."
    )
    memory: int | None = Field(default=None, ge=4, description="Deprecated AWS key (MiB).")
    instanceType: str | None = Field(
        default=None, min_length=1, description="Multi-node parallel jobs: the node instance type."
    )
    command: AnyAws = None
    environment: AnyAws = None
    jobRoleArn: AnyAws = None
    executionRoleArn: AnyAws = None
    volumes: AnyAws = None
    mountPoints: AnyAws = None
    readonlyRootFilesystem: AnyAws = None
    privileged: AnyAws = None
    ulimits: AnyAws = None
    user: AnyAws = None
    linuxParameters: AnyAws = None
    logConfiguration: AnyAws = None
    secrets: AnyAws = None
    networkConfiguration: AnyAws = None
    fargatePlatformConfiguration: AnyAws = None
    ephemeralStorage: AnyAws = None
    runtimePlatform: AnyAws = None
    repositoryCredentials: AnyAws = None
    enableExecuteCommand: AnyAws = None


class FailureModel(StrictModel):
    """Random failure of an attempt: with ``probability`` it exits with ``exitCode`` after ``after``."""

    probability: float = Field(default=0.0, ge=0, le=1)
    exitCode: int = Field(default=1, ge=1, le=255)
    after: DistributionModel | None = Field(
        default=None, description="Time into RUNNING at which it fails; default: the full runtime."
    )


class Checkpoint(StrictModel):
    """Checkpoint/restart: a checkpoint after each ``interval`` of work, costing ``cost``; a
    retried attempt spends ``restartCost`` and resumes from the last completed checkpoint."""

    interval: Duration = Field(gt=0, description="Work between checkpoints.")
    cost: Duration = Field(default=0.0, ge=0, description="Time to write one checkpoint.")
    restartCost: Duration = Field(
        default=0.0, ge=0, description="Time to restore on a retried attempt."
    )
    onNotice: bool = Field(
        default=False, description="Write one more checkpoint on a Spot interruption notice."
    )


class JobSimulation(StrictModel):
    """What AWS does not know about a job: how long it runs, starts and pulls, how it fails."""

    runtime: DistributionModel | None = Field(
        default=None, description="RUNNING time of an attempt."
    )
    startTime: Duration = Field(default=5.0, description="Container start after placement.")
    imagePullTime: Duration = Field(default=20.0, description="Once per image per instance.")
    failure: FailureModel | None = None
    checkpoint: Checkpoint | None = None


# ----------------------------------------------------------------------------- ecsProperties
class TaskContainerDependency(StrictModel):
    """AWS ``TaskContainerDependency``: start this container after ``containerName`` has
    started (START), exited (COMPLETE) or exited with 0 (SUCCESS)."""

    containerName: str = Field(min_length=1)
    condition: Literal["START", "COMPLETE", "SUCCESS"] = "START"


class TaskContainerSimulation(StrictModel):
    """What AWS does not know about one container of a multi-container job: how it fails."""

    failure: FailureModel | None = Field(
        default=None, description="Essential containers only: a failure fails the job."
    )


class TaskContainerProperties(StrictModel):
    """AWS ``TaskContainerProperties``: one container of an ``ecsProperties`` task. The job
    reserves the sum of its containers' resourceRequirements; ``essential`` (default true)
    containers decide its exit."""

    image: str = Field(min_length=1)
    name: str | None = Field(default=None, min_length=1, max_length=255)
    essential: bool = Field(default=True, description="Omitted: essential, as on AWS.")
    resourceRequirements: list[ResourceRequirement] = Field(default_factory=list)
    dependsOn: list[TaskContainerDependency] = Field(default_factory=list)
    command: AnyAws = None
    environment: AnyAws = None
    firelensConfiguration: AnyAws = None
    linuxParameters: AnyAws = None
    logConfiguration: AnyAws = None
    mountPoints: AnyAws = None
    privileged: AnyAws = None
    readonlyRootFilesystem: AnyAws = None
    repositoryCredentials: AnyAws = None
    secrets: AnyAws = None
    ulimits: AnyAws = None
    user: AnyAws = None
    startTimeout: AnyAws = None
    stopTimeout: AnyAws = None
    simulation: TaskContainerSimulation = TaskContainerSimulation()


class EcsTaskProperties(StrictModel):
    """AWS ``EcsTaskProperties``: the task of a job, 1–10 containers."""

    containers: list[TaskContainerProperties] = Field(min_length=1, max_length=10)
    ephemeralStorage: AnyAws = None
    executionRoleArn: AnyAws = None
    platformVersion: AnyAws = None
    ipcMode: AnyAws = None
    taskRoleArn: AnyAws = None
    pidMode: AnyAws = None
    networkConfiguration: AnyAws = None
    runtimePlatform: AnyAws = None
    volumes: AnyAws = None
    enableExecuteCommand: AnyAws = None
    networkMode: AnyAws = None


class EcsProperties(StrictModel):
    """AWS ``EcsProperties``: one task element (AWS's current limit)."""

    taskProperties: list[EcsTaskProperties] = Field(min_length=1, max_length=1)

    @property
    def containers(self) -> list[TaskContainerProperties]:
        """The containers of the one task."""
        return self.taskProperties[0].containers


class ConsumableResourceRequirement(StrictModel):
    """AWS ``ConsumableResourceRequirement``: how much of a consumable resource one job (one
    node, in a node range) needs."""

    consumableResource: str = Field(min_length=1, description="The resource's name or ARN.")
    quantity: int = Field(ge=0)


class ConsumableResourceProperties(StrictModel):
    """AWS ``ConsumableResourceProperties``: the consumable resources a job needs."""

    consumableResourceList: list[ConsumableResourceRequirement] = Field(default_factory=list)


class TargetNodes(StrictModel):
    """A ``targetNodes`` node index or range ('0', '1:3', '1:' open-ended, ':2')."""

    targetNodes: str = Field(min_length=1)

    @field_validator("targetNodes")
    @classmethod
    def _range(cls, value: str) -> str:
        first, _, last = value.partition(":")
        if not (first.isdigit() or first == "") or not (last.isdigit() or last == ""):
            raise ValueError(
                f"targetNodes is a node index or range ('0', '1:3', '1:', ':2'), got {value!r}"
            )
        return value

    def bounds(self, num_nodes: int) -> tuple[int, int]:
        """Return the (first, last) node index this range covers among ``num_nodes`` nodes."""
        first, colon, last = self.targetNodes.partition(":")
        low = int(first) if first else 0
        if not colon:
            return low, low
        return low, int(last) if last else num_nodes - 1

    @property
    def open_ended(self) -> bool:
        """Whether the range has no upper bound ('1:' or ':')."""
        first, colon, last = self.targetNodes.partition(":")
        return bool(colon) and not last


class NodeRangeProperty(TargetNodes):
    """AWS ``NodeRangeProperty``: the container (or ``ecsProperties`` task) of the nodes
    ``targetNodes`` ('0', '1:3', '1:' open-ended, ':2')."""

    container: ContainerProperties = ContainerProperties()
    ecsProperties: EcsProperties | None = None
    instanceTypes: list[str] | None = Field(default=None, max_length=1)
    consumableResourceProperties: ConsumableResourceProperties | None = None

    def instance_type(self) -> str | None:
        """The node instance type this range names, if any."""
        if self.instanceTypes:
            return self.instanceTypes[0]
        return self.container.instanceType


class NodeProperties(StrictModel):
    """AWS ``NodeProperties`` of a multi-node parallel job definition."""

    numNodes: int = Field(ge=1, le=1000)
    mainNode: int = Field(default=0, ge=0)
    nodeRangeProperties: list[NodeRangeProperty] = Field(min_length=1, max_length=5)


class JobDefinition(StrictModel):
    """AWS ``RegisterJobDefinition`` request (``container`` or ``multinode`` jobs) plus a
    ``simulation`` block."""

    jobDefinitionName: str = Field(min_length=1, max_length=128)
    type: Literal["container", "multinode"] = "container"
    containerProperties: ContainerProperties = ContainerProperties()
    nodeProperties: NodeProperties | None = None
    ecsProperties: EcsProperties | None = None
    retryStrategy: RetryStrategy | None = None
    timeout: JobTimeout | None = None
    parameters: AnyAws = None
    tags: AnyAws = None
    propagateTags: AnyAws = None
    platformCapabilities: list[Literal["EC2", "FARGATE"]] | None = None
    schedulingPriority: int | None = Field(default=None, ge=0, le=9999)
    consumableResourceProperties: ConsumableResourceProperties | None = None
    simulation: JobSimulation = JobSimulation()

    def gives_container_properties(self) -> bool:
        """Whether the definition gives ``containerProperties`` of its own: an empty one (as
        scenario.resolved.yaml writes back the default) does not count."""
        return (
            "containerProperties" in self.model_fields_set
            and self.containerProperties != ContainerProperties()
        )


# ----------------------------------------------------------------------------- workload
class ArrayProperties(StrictModel):
    """AWS ``arrayProperties``: 2–10,000 children with ids ``<parent>:<index>``."""

    size: int = Field(ge=2, le=10000)


class ContainerOverrides(StrictModel):
    """AWS ``containerOverrides`` (resources are what the simulation uses)."""

    resourceRequirements: list[ResourceRequirement] | None = None
    vcpus: int | None = Field(default=None, ge=1)
    memory: int | None = Field(default=None, ge=4)
    command: AnyAws = None
    environment: AnyAws = None
    instanceType: AnyAws = None


# ----------------------------------------------------------------------------- ecsPropertiesOverride, nodeOverrides
class TaskContainerOverrides(StrictModel):
    """AWS ``TaskContainerOverrides``: new resources (and command, environment) for the
    container ``name`` of an ``ecsProperties`` task."""

    name: str | None = Field(default=None, min_length=1, description="The container to override.")
    resourceRequirements: list[ResourceRequirement] | None = None
    command: AnyAws = None
    environment: AnyAws = None


class TaskPropertiesOverride(StrictModel):
    """AWS ``TaskPropertiesOverride``: overrides of the task's containers."""

    containers: list[TaskContainerOverrides] = Field(default_factory=list, max_length=10)


class EcsPropertiesOverride(StrictModel):
    """AWS ``EcsPropertiesOverride`` of a SubmitJob request (one task element)."""

    taskProperties: list[TaskPropertiesOverride] = Field(default_factory=list, max_length=1)

    @property
    def containers(self) -> list[TaskContainerOverrides]:
        """The container overrides of the one task (none when no task is given)."""
        return self.taskProperties[0].containers if self.taskProperties else []


class NodePropertyOverride(TargetNodes):
    """AWS ``NodePropertyOverride``: container overrides for the nodes ``targetNodes``."""

    containerOverrides: ContainerOverrides | None = None
    ecsPropertiesOverride: EcsPropertiesOverride | None = None
    instanceTypes: AnyAws = None
    eksPropertiesOverride: AnyAws = None
    consumableResourcePropertiesOverride: AnyAws = None


class NodeOverrides(StrictModel):
    """AWS ``NodeOverrides`` of a multi-node parallel SubmitJob: the number of nodes and
    per-node-range container overrides."""

    numNodes: int | None = Field(default=None, ge=1, le=1000)
    nodePropertyOverrides: list[NodePropertyOverride] = Field(default_factory=list)


class JobDependency(StrictModel):
    """AWS ``JobDependency``: wait for ``jobId`` (a workload entry's name here); ``N_TO_N`` pairs
    the children of two arrays of one size; ``SEQUENTIAL`` (without jobId) runs an array's
    children one after another."""

    jobId: str | None = Field(default=None, min_length=1, description="Workload entry name.")
    type: Literal["N_TO_N", "SEQUENTIAL"] | None = None

    @model_validator(mode="after")
    def _shape(self) -> JobDependency:
        if self.type == "SEQUENTIAL" and self.jobId is not None:
            raise ValueError(
                "a SEQUENTIAL dependency orders the array's own children: leave out jobId"
            )
        if self.type != "SEQUENTIAL" and self.jobId is None:
            raise ValueError("give the jobId (workload entry name) this job depends on")
        return self


class SubmitJob(StrictModel):
    """An AWS ``SubmitJob`` request, field for field."""

    jobName: str = Field(min_length=1, max_length=128)

    @field_validator("jobName")
    @classmethod
    def _job_name(cls, value: str) -> str:
        return job_name(value)

    jobQueue: str
    jobDefinition: str
    arrayProperties: ArrayProperties | None = None
    containerOverrides: ContainerOverrides | None = None
    ecsPropertiesOverride: EcsPropertiesOverride | None = None
    nodeOverrides: NodeOverrides | None = None
    retryStrategy: RetryStrategy | None = None
    timeout: JobTimeout | None = None
    dependsOn: list[JobDependency] = Field(default_factory=list, max_length=20)
    shareIdentifier: str | None = Field(default=None, min_length=1, max_length=255)
    schedulingPriorityOverride: int | None = Field(default=None, ge=0, le=9999)
    consumableResourcePropertiesOverride: ConsumableResourceProperties | None = None

    @field_validator("shareIdentifier")
    @classmethod
    def _identifier(cls, value: str | None) -> str | None:
        return value if value is None else share_identifier(value)

    parameters: AnyAws = None
    tags: AnyAws = None
    propagateTags: AnyAws = None


JOB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
"""AWS SubmitJob's ``jobName``: letters, digits, '-' and '_', the first a letter or digit."""


def job_name(value: str) -> str:
    """Check an AWS job name (:data:`JOB_NAME`, up to 128 characters)."""
    if not (value.isascii() and JOB_NAME.fullmatch(value)):
        raise ValueError(
            "a job name is up to 128 letters, digits, hyphens (-) and underscores (_), "
            f"starting with a letter or digit, got {value!r}"
        )
    return value


class PoissonParams(StrictModel):
    """``{rate}``: mean arrivals per unit time ('30/h')."""

    rate: Rate = Field(gt=0)


class Arrivals(StrictModel):
    """Submissions over time: a Poisson stream from ``start``, ended by ``until`` (a time) or
    ``count`` (submissions) — a short fast one is a burst — or an explicit list of ``times``."""

    poisson: PoissonParams | None = None
    times: list[Duration] | None = Field(
        default=None, min_length=1, description="One submission at each listed time."
    )
    start: Duration = Field(default=0.0, description="Time of the first possible arrival.")
    until: Duration | None = None
    count: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _bounded(self) -> Arrivals:
        if (self.poisson is None) == (self.times is None):
            raise ValueError("give exactly one of 'poisson' or 'times'")
        if self.times is not None:
            if self.until is not None or self.count is not None or self.start:
                raise ValueError("'times' lists every submission: leave out start, until, count")
        elif (self.until is None) == (self.count is None):
            raise ValueError("give exactly one of 'until' or 'count'")
        elif self.until is not None and self.until <= self.start:
            raise ValueError(
                f"until ({self.until:g} s) must come after start ({self.start:g} s): "
                "no arrival could happen"
            )
        return self


class IndexRuntime(StrictModel):
    """The runtime of the array children whose ``AWS_BATCH_JOB_ARRAY_INDEX`` is in ``indexes``."""

    indexes: str | int = Field(description="One index (7) or an inclusive range ('0-49').")
    runtime: DistributionModel

    def bounds(self) -> tuple[int, int]:
        """Return (first, last) index; raise ValueError if ``indexes`` is not 'n' or 'a-b'."""
        text = str(self.indexes).strip()
        first, _, last = text.partition("-")
        low, high = int(first), int(last or first)
        if low < 0 or high < low:
            raise ValueError(f"indexes {text!r} is not a range 'first-last' of indexes ≥ 0")
        return low, high

    @model_validator(mode="after")
    def _range(self) -> IndexRuntime:
        try:
            self.bounds()
        except ValueError as error:
            raise ValueError(
                f"indexes must be one index (7) or a range ('0-49'): {error}"
            ) from None
        return self


class TraceQueues(StrictModel):
    """Job queues by a trace field: a job whose ``by`` field has a value in ``map`` goes to
    that queue; the others go to the entry's ``submit.jobQueue``."""

    by: Literal["queue", "partition", "user", "group"]
    map: dict[str, str] = Field(min_length=1, description="Trace value → jobQueueName.")


class TraceSource(StrictModel):
    """A job trace replayed as submissions (docs/traces.md): the file, its format, and how its
    rows become jobs."""

    path: str = Field(min_length=1, description="Relative to the scenario file; .gz read directly.")
    format: Literal["swf", "csv", "aws-jobs"]
    processors: Literal["allocated", "requested"] = Field(
        default="allocated", description="Which processor count to use (the other if unknown)."
    )
    vcpusPerProcessor: float = Field(
        default=1.0, gt=0, description="Rounded up to whole vCPUs per job."
    )
    memory: Literal["definition", "requested", "used"] = Field(
        default="definition", description="The job definition's memory, or the trace's."
    )
    memoryPer: Literal["processor", "job"] | None = Field(
        default=None,
        description="Default: per processor for SWF (the format's), per job otherwise.",
    )
    start: Duration | None = Field(default=None, description="Window start on the trace's clock.")
    end: Duration | None = Field(default=None, description="Window end (exclusive).")
    maxJobs: int | None = Field(default=None, ge=1, description="Replay at most this many jobs.")
    # NOTE: capped so that one second of the trace stays within MAX_DURATION_S; the scaled
    # times themselves are checked row by row when the trace is read (trace_jobs).
    timeScale: float = Field(
        default=1.0, gt=0, le=MAX_DURATION_S, description="Multiplies the gaps between submissions."
    )
    runtimeScale: float = Field(
        default=1.0, gt=0, le=MAX_DURATION_S, description="Multiplies every run time."
    )
    queues: TraceQueues | None = None
    unplaceable: Literal["skip", "keep"] = Field(
        default="skip", description="Jobs no compute environment of their queue can ever hold."
    )

    _jobs: int | None = PrivateAttr(default=None)

    @property
    def jobs(self) -> int | None:
        """The jobs the trace submits at most (known once the loader has read it), else None."""
        return self._jobs

    def read_as(self, jobs: int) -> None:
        """Note how many jobs the loader found in the trace (for size estimates, progress)."""
        self._jobs = jobs

    @model_validator(mode="after")
    def _window(self) -> TraceSource:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end:g} s) must come after start ({self.start:g} s)")
        return self


_TRACE_EXCLUDES = ("at", "arrivals", "schedule", "until", "runtime", "runtimeByIndex")


class WorkloadEntry(StrictModel):
    """One line of the workload: a SubmitJob request and when (and how often) it is made, or a
    job trace replayed through that request (``trace``)."""

    name: str = Field(min_length=1)
    submit: SubmitJob
    trace: TraceSource | None = None
    at: Duration | None = Field(default=None, description="Submission time (default 0).")
    count: int = Field(default=1, ge=1, description="Identical submissions made at 'at'.")
    arrivals: Arrivals | None = None
    schedule: str | None = Field(
        default=None,
        description="EventBridge expression 'rate(5 minutes)' or 'cron(0 2 * * ? *)' (UTC).",
    )
    until: Duration | None = Field(
        default=None, description="Last possible firing of 'schedule' (default: stopAt)."
    )
    runtime: DistributionModel | None = None
    runtimeByIndex: list[IndexRuntime] = Field(
        default_factory=list, description="Array children's runtime by AWS_BATCH_JOB_ARRAY_INDEX."
    )
    failure: FailureModel | None = None
    checkpoint: Checkpoint | None = None

    @field_validator("schedule")
    @classmethod
    def _expression(cls, value: str | None) -> str | None:
        if value is not None:
            parse_schedule(value)  # NOTE: ScheduleError is a ValueError: reported at the key
        return value

    @model_validator(mode="after")
    def _trace_alone(self) -> WorkloadEntry:
        if self.trace is None:
            return self
        # NOTE: values, not the fields set: a resolved scenario writes the defaults back
        # (``runtimeByIndex: []``) and must reload.
        given = [k for k in _TRACE_EXCLUDES if getattr(self, k) not in (None, [])]
        if self.count != 1:
            given.append("count")
        if given:
            raise ValueError(
                f"a trace sets when jobs come and how long they run: leave out {', '.join(given)}"
            )
        if self.submit.arrayProperties is not None or self.submit.dependsOn:
            raise ValueError(
                "a trace entry submits single jobs: leave out arrayProperties and dependsOn"
            )
        return self

    @model_validator(mode="after")
    def _one_timing(self) -> WorkloadEntry:
        if self.arrivals is not None and (self.at is not None or self.count != 1):
            raise ValueError("use either 'at'/'count' or 'arrivals', not both")
        if self.arrivals is not None and self.schedule is not None:
            raise ValueError("use either 'schedule' (with 'at', 'count') or 'arrivals', not both")
        if self.until is not None and self.schedule is None:
            raise ValueError("'until' ends a 'schedule'; this entry has none")
        if self.until is not None and self.until < (self.at or 0.0):
            raise ValueError("'until' is before 'at': the schedule would never fire")
        return self

    @property
    def repeats(self) -> bool:
        """Whether the entry makes more than one SubmitJob call."""
        return (
            self.arrivals is not None
            or self.schedule is not None
            or self.count != 1
            or self.trace is not None
        )


# ----------------------------------------------------------------------------- scenario
# ----------------------------------------------------------------------------- actions
class JobAction(StrictModel):
    """AWS ``CancelJob`` / ``TerminateJob``: ``jobId`` names a workload entry here, and the
    action applies to every job it has submitted by then (all children, for an array)."""

    jobId: str = Field(min_length=1, description="Workload entry name.")
    reason: str = Field(min_length=1, max_length=1024)


class UpdateComputeResources(StrictModel):
    """The ``computeResources`` of an ``UpdateComputeEnvironment`` request (AWS
    ``ComputeResourceUpdate``): limits (a scaling update), and the settings whose change makes
    an infrastructure update (instances replaced)."""

    minvCpus: int | None = Field(default=None, ge=0)
    maxvCpus: int | None = Field(default=None, ge=0)
    desiredvCpus: AnyAws = None
    instanceTypes: list[str] | None = Field(default=None, min_length=1)
    allocationStrategy: (
        Literal[
            "BEST_FIT_PROGRESSIVE",
            "BEST_FIT_PROGRESSIVE_ORDERED",
            "SPOT_CAPACITY_OPTIMIZED",
            "SPOT_PRICE_CAPACITY_OPTIMIZED",
            "SPOT_CAPACITY_OPTIMIZED_PRIORITIZED",
        ]
        | None
    ) = None
    bidPercentage: int | None = Field(default=None, ge=0, le=100)
    # Infrastructure-update settings with no other effect on a simulation: changing one
    # replaces the instances all the same.
    subnets: AnyAws = None
    securityGroupIds: AnyAws = None
    instanceRole: AnyAws = None
    tags: AnyAws = None
    placementGroup: AnyAws = None
    ec2KeyPair: AnyAws = None
    imageId: AnyAws = None
    launchTemplate: AnyAws = None
    ec2Configuration: AnyAws = None
    updateToLatestImageVersion: AnyAws = None
    capacityTags: AnyAws = None  # NOTE: tags the capacity; not one of AWS's replacing settings

    def infrastructure_keys(self) -> list[str]:
        """Return the keys given whose change makes AWS replace the instances."""
        return [k for k in INFRASTRUCTURE_KEYS if k in self.model_fields_set]


INFRASTRUCTURE_KEYS = (
    "instanceTypes", "allocationStrategy", "bidPercentage", "subnets", "securityGroupIds",
    "instanceRole", "tags", "placementGroup", "ec2KeyPair", "imageId", "launchTemplate",
    "ec2Configuration", "updateToLatestImageVersion",
)  # fmt: skip


class UpdatePolicy(StrictModel):
    """AWS ``UpdatePolicy``: what an infrastructure update does to the jobs running on the
    instances it replaces."""

    terminateJobsOnUpdate: bool = False
    jobExecutionTimeoutMinutes: int = Field(default=30, ge=1, le=7200)


class UpdateComputeEnvironmentAction(StrictModel):
    """AWS ``UpdateComputeEnvironment``: new limits, state, unmanagedvCpus, or an
    infrastructure update under ``updatePolicy``."""

    computeEnvironment: str
    state: Literal["ENABLED", "DISABLED"] | None = None
    unmanagedvCpus: int | None = Field(default=None, ge=0)
    updatePolicy: UpdatePolicy | None = None
    computeResources: UpdateComputeResources | None = None
    serviceRole: AnyAws = None
    context: AnyAws = None
    ecsSettings: AnyAws = None


class UpdateJobQueueAction(StrictModel):
    """AWS ``UpdateJobQueue``: new state or priority."""

    jobQueue: str
    state: Literal["ENABLED", "DISABLED"] | None = None
    priority: int | None = Field(default=None, ge=0)


class Action(StrictModel):
    """One entry of the ``actions`` timeline: at ``at``, one AWS API call."""

    at: Duration
    CancelJob: JobAction | None = None
    TerminateJob: JobAction | None = None
    UpdateComputeEnvironment: UpdateComputeEnvironmentAction | None = None
    UpdateJobQueue: UpdateJobQueueAction | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Action:
        given = [k for k in ACTION_NAMES if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(ACTION_NAMES)} (got {len(given)})")
        return self

    @property
    def name(self) -> str:
        """The AWS API call this action makes."""
        return next(k for k in ACTION_NAMES if getattr(self, k) is not None)


ACTION_NAMES = ("CancelJob", "TerminateJob", "UpdateComputeEnvironment", "UpdateJobQueue")


class ConsumableResource(StrictModel):
    """AWS ``CreateConsumableResource`` request: a resource outside the compute environments
    (licences, connections) of which a job holds a quantity from STARTING until it is SUCCEEDED
    or FAILED. ``totalQuantity`` is required here (AWS lets it default)."""

    consumableResourceName: str = Field(min_length=1, max_length=128)
    totalQuantity: int = Field(ge=0)
    resourceType: Literal["REPLENISHABLE", "NON_REPLENISHABLE"] = "REPLENISHABLE"
    tags: AnyAws = None


class Scenario(StrictModel):
    """A whole scenario: cluster, job definitions, workload and a timeline of API actions."""

    name: str = Field(min_length=1)
    description: str | None = None
    simulation: SimulationSettings = SimulationSettings()
    customInstanceTypes: list[CustomInstanceType] = Field(default_factory=list)
    computeEnvironments: list[ComputeEnvironment] = Field(min_length=1)
    jobQueues: list[JobQueue] = Field(min_length=1)
    jobDefinitions: list[JobDefinition] = Field(min_length=1)
    workload: list[WorkloadEntry] = Field(min_length=1)
    schedulingPolicies: list[SchedulingPolicy] = Field(default_factory=list)
    actions: list[Action] = Field(default_factory=list)
    consumableResources: list[ConsumableResource] = Field(default_factory=list)
    _base_dir: str | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _trace_submits(cls, data: Any) -> Any:
        """A trace entry without ``submit`` submits to the scenario's only queue and only job
        definition (with several, the missing ``submit`` is reported)."""
        if not isinstance(data, dict) or not isinstance(data.get("workload"), list):
            return data
        queues, definitions = data.get("jobQueues"), data.get("jobDefinitions")
        if not (isinstance(queues, list) and isinstance(definitions, list)):
            return data
        if len(queues) != 1 or len(definitions) != 1:
            return data
        queue = queues[0].get("jobQueueName") if isinstance(queues[0], dict) else None
        definition = (
            definitions[0].get("jobDefinitionName") if isinstance(definitions[0], dict) else None
        )
        workload = [_with_submit(e, queue, definition) for e in data["workload"]]
        return {**data, "workload": workload}

    @property
    def base_dir(self) -> str | None:
        """The folder of the scenario file (trace paths are relative to it); None: the
        working directory."""
        return self._base_dir

    def with_base_dir(self, folder: str | None) -> Scenario:
        """Set the folder trace paths are relative to (the loader does); return ``self``."""
        self._base_dir = folder
        return self


def _with_submit(entry: Any, queue: Any, definition: Any) -> Any:
    """``entry`` with a default ``submit`` when it is a trace entry without one."""
    if not isinstance(entry, dict) or "trace" not in entry or "submit" in entry:
        return entry
    if not isinstance(queue, str) or not isinstance(definition, str):
        return entry
    name = re.sub(r"[^A-Za-z0-9_-]", "-", str(entry.get("name") or "trace"))[:128].lstrip("-_")
    submit = {"jobName": name or "trace", "jobQueue": queue, "jobDefinition": definition}
    return {**entry, "submit": submit}
