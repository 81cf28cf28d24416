"""How batchsim treats each AWS Batch input field and enum value: one table, the checklist.

The keys of :data:`FIELDS` are botocore shape paths of the Batch service model
(``botocore/data/batch/2016-08-10/service-2.json``): ``Shape.member`` for an input field and
``Shape.member=VALUE`` for one value of an enum. They cover every member of the requests a
scenario speaks (CreateComputeEnvironment, UpdateComputeEnvironment, CreateJobQueue,
UpdateJobQueue, RegisterJobDefinition, SubmitJob, CreateSchedulingPolicy,
CreateConsumableResource, CancelJob, TerminateJob), through every nested structure a *modelled*
member opens, and every enum value of a member the scenario accepts. Each entry is one of:

* *modelled*: it changes what a simulation does; the entry names the test that shows it;
* *accepted, no effect*: the schema takes it so real requests paste cleanly; it changes nothing;
* *not supported*: the loader refuses it with the entry's message (what is modelled instead).

``tests/test_service_model.py`` reads the installed botocore model and fails on any member or
value missing here, so a field AWS adds is classified before the docs can fall behind. The loader
builds its "not supported" messages from this table, and ``docs/scenario-format.md`` shows it:
``python3 -m batchsim.scenario.aws_fields --markdown`` prints the part between its markers.
"""

from __future__ import annotations

import sys
from collections import Counter
from enum import StrEnum
from typing import NamedTuple


class Support(StrEnum):
    """How batchsim treats an AWS field or enum value."""

    MODELLED = "modelled"
    ACCEPTED = "accepted, no effect"
    NOT_SUPPORTED = "not supported"


class Entry(NamedTuple):
    """One classification: ``detail`` is the test (``file::function``) for a modelled entry,
    a short note for an accepted one, the loader's message for one not supported."""

    support: Support
    detail: str


def modelled(test: str) -> Entry:
    """A field or value with an effect, shown by ``test`` (``tests/<file>.py::<function>``)."""
    return Entry(Support.MODELLED, test)


def accepted(note: str = "") -> Entry:
    """A field or value the schema accepts and the simulation ignores."""
    return Entry(Support.ACCEPTED, note)


def unsupported(message: str) -> Entry:
    """A field or value the loader refuses with ``message`` (what is modelled instead)."""
    return Entry(Support.NOT_SUPPORTED, message)


_EKS = "EKS is not modelled: batchsim runs ECS jobs, so describe the job with containerProperties and the cluster with an EC2 or SPOT compute environment"
_MANAGED_INSTANCES = "ECS Managed Instances are not modelled: use an EC2 or SPOT compute environment with instanceTypes"
_SERVICE_ENVIRONMENTS = "service environments and quota shares (SageMaker training) are not modelled: a queue runs jobs on the compute environments of its computeEnvironmentOrder"
_NODE_TYPE = "overriding the node instance type is not supported yet in this release: batchsim sizes every node by the job definition's instance type"
_NODE_EKS = "EKS jobs are not supported: batchsim models ECS jobs"
_NODE_CONSUMABLE = "consumable resources are not supported yet in this release"
_UPDATE_FIXED = "not modelled in actions: a compute environment keeps the type and scalingPolicy it was created with; give a second compute environment with the new setting and switch with UpdateComputeEnvironment state"
_QUEUE_FIXED = "not modelled in actions: a queue keeps what it was created with; UpdateJobQueue applies state and priority"
_TERMINATE = "AWS takes TERMINATE only on job queues of a SAGEMAKER_TRAINING service environment, which batchsim does not model; a queue of compute environments takes CANCEL, which does to a RUNNABLE job what TERMINATE would"
_CONTENT = "giving launchTemplate or ec2Configuration in an update replaces the instances; what they hold does not change a simulation"
_PASTE = "pasted requests keep it; it does not change a simulation"

ML = "tests/test_micro_lifecycle.py::"
CU = "tests/test_compute_units.py::"
AC = "tests/test_actions.py::"
FS = "tests/test_fair_share.py::"
MN = "tests/test_multinode.py::"
LD = "tests/test_loader.py::"
SM = "tests/test_service_model.py::"
SU = "tests/test_surface.py::"
EC = "tests/test_ecs.py::"
CO = "tests/test_consumables.py::"

# NOTE: one line per entry, so a branch that models a field flips exactly one line.
# fmt: off
FIELDS: dict[str, Entry] = {
    # CreateComputeEnvironment
    "CreateComputeEnvironmentRequest.computeEnvironmentName": modelled(SM + "test_a_disabled_compute_environment_takes_no_jobs"),
    "CreateComputeEnvironmentRequest.type": modelled(ML + "test_an_unmanaged_ce_runs_on_its_fixed_instances_and_never_scales"),
    "CreateComputeEnvironmentRequest.type=MANAGED": modelled(ML + "test_best_fit_launches_one_cheapest_type_and_never_exceeds_max"),
    "CreateComputeEnvironmentRequest.type=UNMANAGED": modelled(ML + "test_an_unmanaged_ce_runs_on_its_fixed_instances_and_never_scales"),
    "CreateComputeEnvironmentRequest.state": modelled(SM + "test_a_disabled_compute_environment_takes_no_jobs"),
    "CreateComputeEnvironmentRequest.state=ENABLED": modelled(SM + "test_a_disabled_compute_environment_takes_no_jobs"),
    "CreateComputeEnvironmentRequest.state=DISABLED": modelled(SM + "test_a_disabled_compute_environment_takes_no_jobs"),
    "CreateComputeEnvironmentRequest.unmanagedvCpus": modelled(SU + "test_unmanaged_vcpus_is_what_the_reservation_is_a_share_of"),
    "CreateComputeEnvironmentRequest.computeResources": modelled(ML + "test_best_fit_launches_one_cheapest_type_and_never_exceeds_max"),
    "CreateComputeEnvironmentRequest.serviceRole": accepted(_PASTE),
    "CreateComputeEnvironmentRequest.tags": accepted(_PASTE),
    "CreateComputeEnvironmentRequest.eksConfiguration": unsupported(_EKS),
    "CreateComputeEnvironmentRequest.context": accepted(_PASTE),
    "CreateComputeEnvironmentRequest.ecsSettings": accepted("Container Insights settings: no effect on scheduling or cost"),
    # ComputeResource
    "ComputeResource.type": modelled(ML + "test_best_fit_launches_one_cheapest_type_and_never_exceeds_max"),
    "ComputeResource.type=EC2": modelled(ML + "test_best_fit_launches_one_cheapest_type_and_never_exceeds_max"),
    "ComputeResource.type=SPOT": modelled("tests/test_spot.py::test_without_interruptions_a_spot_bill_is_the_on_demand_bill_times_one_minus_savings"),
    "ComputeResource.type=FARGATE": modelled("tests/test_fargate.py::test_fractional_vcpus_and_the_one_minute_minimum"),
    "ComputeResource.type=FARGATE_SPOT": modelled("tests/test_fargate.py::test_fargate_spot_reclaims_fail_the_job_with_aws_reason_and_are_retried"),
    "ComputeResource.type=ECS_MANAGED_INSTANCES": unsupported(_MANAGED_INSTANCES),
    "ComputeResource.allocationStrategy": modelled(CU + "test_a_blocked_type_stalls_best_fit_and_moves_best_fit_progressive_on"),
    "ComputeResource.allocationStrategy=BEST_FIT": modelled(CU + "test_best_fit_launches_its_one_cheapest_type_within_max_vcpus"),
    "ComputeResource.allocationStrategy=BEST_FIT_PROGRESSIVE": modelled(CU + "test_best_fit_progressive_fills_the_largest_type_of_the_cheapest_tier"),
    "ComputeResource.allocationStrategy=BEST_FIT_PROGRESSIVE_ORDERED": modelled(SU + "test_ordered_progressive_tries_the_list_in_order_where_progressive_takes_the_cheapest"),
    "ComputeResource.allocationStrategy=SPOT_CAPACITY_OPTIMIZED": modelled(CU + "test_spot_strategies_keep_the_lowest_advisor_buckets"),
    "ComputeResource.allocationStrategy=SPOT_PRICE_CAPACITY_OPTIMIZED": modelled(CU + "test_spot_strategies_keep_the_lowest_advisor_buckets"),
    "ComputeResource.allocationStrategy=SPOT_CAPACITY_OPTIMIZED_PRIORITIZED": modelled(SU + "test_capacity_optimized_prioritized_keeps_capacity_first_then_the_list_order"),
    "ComputeResource.minvCpus": modelled(CU + "test_scale_in_never_goes_below_min_vcpus"),
    "ComputeResource.maxvCpus": modelled(ML + "test_best_fit_launches_one_cheapest_type_and_never_exceeds_max"),
    "ComputeResource.desiredvCpus": accepted("checked to lie between minvCpus and maxvCpus; Batch sets it from demand"),
    "ComputeResource.instanceTypes": modelled(ML + "test_best_fit_progressive_takes_the_largest_type_the_jobs_fill"),
    "ComputeResource.imageId": accepted(_PASTE),
    "ComputeResource.subnets": accepted(_PASTE),
    "ComputeResource.securityGroupIds": accepted(_PASTE),
    "ComputeResource.ec2KeyPair": accepted(_PASTE),
    "ComputeResource.instanceRole": accepted(_PASTE),
    "ComputeResource.tags": accepted(_PASTE),
    "ComputeResource.placementGroup": accepted(_PASTE),
    "ComputeResource.bidPercentage": modelled("tests/test_spot.py::test_bid_percentage_excludes_types_priced_above_the_cap"),
    "ComputeResource.spotIamFleetRole": accepted(_PASTE),
    "ComputeResource.launchTemplate": accepted(_PASTE),
    "ComputeResource.ec2Configuration": accepted(_PASTE),
    "ComputeResource.scalingPolicy": modelled(ML + "test_scaling_policy_delay_wins_over_scale_down_delay"),
    "ComputeResource.managedInstancesProvider": unsupported(_MANAGED_INSTANCES),
    "ComputeResource.capacityTags": accepted(_PASTE),
    "ComputeScalingPolicy.minScaleDownDelayMinutes": modelled(ML + "test_scaling_policy_delay_wins_over_scale_down_delay"),
    # UpdateComputeEnvironment (the actions timeline)
    "UpdateComputeEnvironmentRequest.computeEnvironment": modelled(AC + "test_raising_max_vcpus_lets_a_waiting_job_scale_out"),
    "UpdateComputeEnvironmentRequest.state": modelled(SM + "test_update_compute_environment_state_moves_later_jobs"),
    "UpdateComputeEnvironmentRequest.state=ENABLED": modelled(SM + "test_update_compute_environment_state_moves_later_jobs"),
    "UpdateComputeEnvironmentRequest.state=DISABLED": modelled(SM + "test_update_compute_environment_state_moves_later_jobs"),
    "UpdateComputeEnvironmentRequest.unmanagedvCpus": modelled(SU + "test_an_update_changes_unmanaged_vcpus_and_managed_ones_refuse_it"),
    "UpdateComputeEnvironmentRequest.computeResources": modelled(AC + "test_raising_max_vcpus_lets_a_waiting_job_scale_out"),
    "UpdateComputeEnvironmentRequest.serviceRole": accepted(_PASTE),
    "UpdateComputeEnvironmentRequest.updatePolicy": modelled(SU + "test_an_infrastructure_update_replaces_the_instance_under_its_update_policy"),
    "UpdateComputeEnvironmentRequest.context": accepted(_PASTE),
    "UpdateComputeEnvironmentRequest.ecsSettings": accepted("Container Insights settings: no effect on scheduling or cost"),
    "UpdateComputeEnvironmentRequest.eksConfiguration": unsupported(_EKS),
    "UpdatePolicy.terminateJobsOnUpdate": modelled(SU + "test_an_infrastructure_update_replaces_the_instance_under_its_update_policy"),
    "UpdatePolicy.jobExecutionTimeoutMinutes": modelled(SU + "test_an_infrastructure_update_replaces_the_instance_under_its_update_policy"),
    "ComputeResourceUpdate.minvCpus": modelled(SM + "test_raising_min_vcpus_launches_the_floor_at_once"),
    "ComputeResourceUpdate.maxvCpus": modelled(AC + "test_raising_max_vcpus_lets_a_waiting_job_scale_out"),
    "ComputeResourceUpdate.desiredvCpus": accepted("Batch sets it from demand"),
    "ComputeResourceUpdate.subnets": modelled(SM + "test_a_setting_of_no_other_effect_still_replaces_the_instances"),
    "ComputeResourceUpdate.securityGroupIds": modelled(SM + "test_a_setting_of_no_other_effect_still_replaces_the_instances"),
    "ComputeResourceUpdate.allocationStrategy": modelled(SU + "test_new_jobs_go_to_the_new_settings_and_the_old_instance_ends_with_its_last_job"),
    "ComputeResourceUpdate.allocationStrategy=BEST_FIT_PROGRESSIVE": modelled(SM + "test_an_allocation_strategy_update_applies_to_later_launches"),
    "ComputeResourceUpdate.allocationStrategy=BEST_FIT_PROGRESSIVE_ORDERED": modelled(SU + "test_new_jobs_go_to_the_new_settings_and_the_old_instance_ends_with_its_last_job"),
    "ComputeResourceUpdate.allocationStrategy=SPOT_CAPACITY_OPTIMIZED": modelled(SM + "test_an_allocation_strategy_update_applies_to_later_launches"),
    "ComputeResourceUpdate.allocationStrategy=SPOT_PRICE_CAPACITY_OPTIMIZED": modelled(SM + "test_an_allocation_strategy_update_applies_to_later_launches"),
    "ComputeResourceUpdate.allocationStrategy=SPOT_CAPACITY_OPTIMIZED_PRIORITIZED": modelled(SM + "test_an_allocation_strategy_update_applies_to_later_launches"),
    "ComputeResourceUpdate.instanceTypes": modelled(SU + "test_an_infrastructure_update_replaces_the_instance_under_its_update_policy"),
    "ComputeResourceUpdate.ec2KeyPair": modelled(SM + "test_a_setting_of_no_other_effect_still_replaces_the_instances"),
    "ComputeResourceUpdate.instanceRole": modelled(SM + "test_a_setting_of_no_other_effect_still_replaces_the_instances"),
    "ComputeResourceUpdate.tags": modelled(SM + "test_a_setting_of_no_other_effect_still_replaces_the_instances"),
    "ComputeResourceUpdate.placementGroup": modelled(SM + "test_a_setting_of_no_other_effect_still_replaces_the_instances"),
    "ComputeResourceUpdate.bidPercentage": modelled(SU + "test_a_lower_bid_keeps_the_replacement_from_launching"),
    "ComputeResourceUpdate.launchTemplate": modelled(SM + "test_a_setting_of_no_other_effect_still_replaces_the_instances"),
    "ComputeResourceUpdate.ec2Configuration": modelled(SM + "test_a_setting_of_no_other_effect_still_replaces_the_instances"),
    "LaunchTemplateSpecification.launchTemplateId": accepted(_CONTENT),
    "LaunchTemplateSpecification.launchTemplateName": accepted(_CONTENT),
    "LaunchTemplateSpecification.version": accepted(_CONTENT),
    "LaunchTemplateSpecification.overrides": accepted(_CONTENT),
    "LaunchTemplateSpecification.userdataType": accepted(_CONTENT),
    "LaunchTemplateSpecification.userdataType=EKS_BOOTSTRAP_SH": accepted(_CONTENT),
    "LaunchTemplateSpecification.userdataType=EKS_NODEADM": accepted(_CONTENT),
    "Ec2Configuration.imageType": accepted(_CONTENT),
    "Ec2Configuration.imageIdOverride": accepted(_CONTENT),
    "Ec2Configuration.batchImageStatus": accepted(_CONTENT),
    "Ec2Configuration.imageKubernetesVersion": accepted(_CONTENT),
    "ComputeResourceUpdate.updateToLatestImageVersion": modelled(SM + "test_a_setting_of_no_other_effect_still_replaces_the_instances"),
    "ComputeResourceUpdate.type": unsupported(_UPDATE_FIXED),
    "ComputeResourceUpdate.imageId": modelled(SM + "test_a_setting_of_no_other_effect_still_replaces_the_instances"),
    "ComputeResourceUpdate.scalingPolicy": unsupported(_UPDATE_FIXED),
    "ComputeResourceUpdate.managedInstancesProvider": unsupported(_MANAGED_INSTANCES),
    "ComputeResourceUpdate.capacityTags": accepted(_PASTE),
    # CreateJobQueue
    "CreateJobQueueRequest.jobQueueName": modelled(ML + "test_higher_priority_queue_served_first_when_capacity_frees"),
    "CreateJobQueueRequest.state": modelled(LD + "test_submitting_to_a_disabled_queue_is_rejected"),
    "CreateJobQueueRequest.state=ENABLED": modelled(ML + "test_higher_priority_queue_served_first_when_capacity_frees"),
    "CreateJobQueueRequest.state=DISABLED": modelled(LD + "test_submitting_to_a_disabled_queue_is_rejected"),
    "CreateJobQueueRequest.schedulingPolicyArn": modelled(FS + "test_two_equal_shares_take_turns_where_fifo_runs_the_first_submitter_first"),
    "CreateJobQueueRequest.priority": modelled(ML + "test_higher_priority_queue_served_first_when_capacity_frees"),
    "CreateJobQueueRequest.computeEnvironmentOrder": modelled(SM + "test_a_disabled_compute_environment_takes_no_jobs"),
    "CreateJobQueueRequest.serviceEnvironmentOrder": unsupported(_SERVICE_ENVIRONMENTS),
    "CreateJobQueueRequest.jobQueueType": accepted("batchsim reads the kind of a queue from its compute environments"),
    "CreateJobQueueRequest.jobQueueType=EKS": unsupported(_EKS),
    "CreateJobQueueRequest.jobQueueType=ECS": accepted(),
    "CreateJobQueueRequest.jobQueueType=ECS_FARGATE": accepted(),
    "CreateJobQueueRequest.jobQueueType=SAGEMAKER_TRAINING": unsupported(_SERVICE_ENVIRONMENTS),
    "CreateJobQueueRequest.jobQueueType=ECS_MANAGED_INSTANCES": unsupported(_MANAGED_INSTANCES),
    "CreateJobQueueRequest.tags": accepted(_PASTE),
    "CreateJobQueueRequest.jobStateTimeLimitActions": modelled(AC + "test_time_limit_actions_cancel_the_blocked_head_then_the_next"),
    "ComputeEnvironmentOrder.order": modelled(SM + "test_a_disabled_compute_environment_takes_no_jobs"),
    "ComputeEnvironmentOrder.computeEnvironment": modelled(SM + "test_a_disabled_compute_environment_takes_no_jobs"),
    "JobStateTimeLimitAction.reason": modelled(AC + "test_time_limit_actions_cancel_a_job_no_ce_can_run"),
    "JobStateTimeLimitAction.state": modelled(AC + "test_time_limit_actions_cancel_a_job_no_ce_can_run"),
    "JobStateTimeLimitAction.state=RUNNABLE": modelled(AC + "test_time_limit_actions_cancel_a_job_no_ce_can_run"),
    "JobStateTimeLimitAction.maxTimeSeconds": modelled(AC + "test_time_limit_actions_cancel_the_blocked_head_then_the_next"),
    "JobStateTimeLimitAction.action": modelled(AC + "test_time_limit_actions_cancel_the_blocked_head_then_the_next"),
    "JobStateTimeLimitAction.action=CANCEL": modelled(AC + "test_time_limit_actions_cancel_the_blocked_head_then_the_next"),
    "JobStateTimeLimitAction.action=TERMINATE": unsupported(_TERMINATE),
    # UpdateJobQueue (the actions timeline)
    "UpdateJobQueueRequest.jobQueue": modelled(AC + "test_a_disabled_queue_refuses_later_submissions"),
    "UpdateJobQueueRequest.state": modelled(AC + "test_a_disabled_queue_refuses_later_submissions"),
    "UpdateJobQueueRequest.state=ENABLED": modelled(SM + "test_a_queue_enabled_again_takes_submissions_again"),
    "UpdateJobQueueRequest.state=DISABLED": modelled(AC + "test_a_disabled_queue_refuses_later_submissions"),
    "UpdateJobQueueRequest.schedulingPolicyArn": unsupported(_QUEUE_FIXED),
    "UpdateJobQueueRequest.priority": modelled(SM + "test_raising_a_queue_priority_serves_it_first"),
    "UpdateJobQueueRequest.computeEnvironmentOrder": unsupported(_QUEUE_FIXED),
    "UpdateJobQueueRequest.serviceEnvironmentOrder": unsupported(_SERVICE_ENVIRONMENTS),
    "UpdateJobQueueRequest.jobStateTimeLimitActions": unsupported(_QUEUE_FIXED),
    # RegisterJobDefinition
    "RegisterJobDefinitionRequest.jobDefinitionName": modelled(ML + "test_fifo_holds_across_job_shapes"),
    "RegisterJobDefinitionRequest.type": modelled(MN + "test_all_nodes_are_provisioned_then_the_job_runs_for_the_main_node"),
    "RegisterJobDefinitionRequest.type=container": modelled(ML + "test_one_job_on_empty_ce_timestamps_and_bill"),
    "RegisterJobDefinitionRequest.type=multinode": modelled(MN + "test_all_nodes_are_provisioned_then_the_job_runs_for_the_main_node"),
    "RegisterJobDefinitionRequest.parameters": accepted("Ref:: substitution in a command the simulation does not run"),
    "RegisterJobDefinitionRequest.schedulingPriority": modelled(SM + "test_a_definition_scheduling_priority_orders_a_share"),
    "RegisterJobDefinitionRequest.containerProperties": modelled(ML + "test_image_is_pulled_once_per_instance"),
    "RegisterJobDefinitionRequest.nodeProperties": modelled(MN + "test_all_nodes_are_provisioned_then_the_job_runs_for_the_main_node"),
    "RegisterJobDefinitionRequest.retryStrategy": modelled(ML + "test_no_matching_rule_means_retry"),
    "RegisterJobDefinitionRequest.propagateTags": accepted(_PASTE),
    "RegisterJobDefinitionRequest.timeout": modelled(ML + "test_timeout_fails_attempt_and_is_not_retried"),
    "RegisterJobDefinitionRequest.tags": accepted(_PASTE),
    "RegisterJobDefinitionRequest.platformCapabilities": modelled(LD + "test_fargate_jobs_take_fargate_sizes_and_no_gpus"),
    "RegisterJobDefinitionRequest.platformCapabilities=EC2": modelled(SM + "test_platform_capabilities_must_match_the_queue"),
    "RegisterJobDefinitionRequest.platformCapabilities=FARGATE": modelled(LD + "test_fargate_jobs_take_fargate_sizes_and_no_gpus"),
    "RegisterJobDefinitionRequest.platformCapabilities=MANAGED_INSTANCES": unsupported(_MANAGED_INSTANCES),
    "RegisterJobDefinitionRequest.eksProperties": unsupported(_EKS),
    "RegisterJobDefinitionRequest.ecsProperties": modelled(EC + "test_a_task_reserves_the_sum_of_its_containers"),
    "RegisterJobDefinitionRequest.consumableResourceProperties": modelled(CO + "test_the_head_waits_in_runnable_until_its_licence_comes_back"),
    "EcsProperties.taskProperties": modelled(EC + "test_a_task_reserves_the_sum_of_its_containers"),
    "EcsTaskProperties.containers": modelled(EC + "test_a_task_reserves_the_sum_of_its_containers"),
    "EcsTaskProperties.ephemeralStorage": accepted(_PASTE),
    "EcsTaskProperties.executionRoleArn": accepted(_PASTE),
    "EcsTaskProperties.platformVersion": accepted(_PASTE),
    "EcsTaskProperties.ipcMode": accepted(_PASTE),
    "EcsTaskProperties.taskRoleArn": accepted(_PASTE),
    "EcsTaskProperties.pidMode": accepted(_PASTE),
    "EcsTaskProperties.networkConfiguration": accepted(_PASTE),
    "EcsTaskProperties.runtimePlatform": accepted(_PASTE),
    "EcsTaskProperties.volumes": accepted(_PASTE),
    "EcsTaskProperties.enableExecuteCommand": accepted(_PASTE),
    "EcsTaskProperties.networkMode": accepted(_PASTE),
    "TaskContainerProperties.command": accepted("the simulation does not run the container"),
    "TaskContainerProperties.dependsOn": accepted("checked as AWS checks it (a container of the task; COMPLETE and SUCCESS not on an essential one); the order the containers start in does not change a simulation"),
    "TaskContainerProperties.environment": accepted("the simulation does not run the container"),
    "TaskContainerProperties.essential": modelled(EC + "test_task_rules_names_essential_and_depends_on"),
    "TaskContainerProperties.firelensConfiguration": accepted(_PASTE),
    "TaskContainerProperties.image": modelled(EC + "test_a_tasks_images_are_pulled_once_per_instance"),
    "TaskContainerProperties.linuxParameters": accepted(_PASTE),
    "TaskContainerProperties.logConfiguration": accepted(_PASTE),
    "TaskContainerProperties.mountPoints": accepted(_PASTE),
    "TaskContainerProperties.name": modelled(EC + "test_ecs_properties_override_replaces_one_containers_resources"),
    "TaskContainerProperties.privileged": accepted(_PASTE),
    "TaskContainerProperties.readonlyRootFilesystem": accepted(_PASTE),
    "TaskContainerProperties.repositoryCredentials": accepted(_PASTE),
    "TaskContainerProperties.resourceRequirements": modelled(EC + "test_a_task_reserves_the_sum_of_its_containers"),
    "TaskContainerProperties.secrets": accepted(_PASTE),
    "TaskContainerProperties.ulimits": accepted(_PASTE),
    "TaskContainerProperties.user": accepted(_PASTE),
    "TaskContainerProperties.startTimeout": accepted(_PASTE),
    "TaskContainerProperties.stopTimeout": accepted(_PASTE),
    "ConsumableResourceProperties.consumableResourceList": modelled(CO + "test_the_head_waits_in_runnable_until_its_licence_comes_back"),
    "ConsumableResourceRequirement.consumableResource": modelled(CO + "test_loader_reports_names_and_quantities_with_their_paths"),
    "ConsumableResourceRequirement.quantity": modelled(CO + "test_the_head_waits_in_runnable_until_its_licence_comes_back"),
    "ContainerProperties.image": modelled(ML + "test_image_is_pulled_once_per_instance"),
    "ContainerProperties.vcpus": modelled(SM + "test_deprecated_vcpus_and_memory_size_the_job"),
    "ContainerProperties.memory": modelled(SM + "test_deprecated_vcpus_and_memory_size_the_job"),
    "ContainerProperties.command": accepted("the simulation does not run the container"),
    "ContainerProperties.jobRoleArn": accepted(_PASTE),
    "ContainerProperties.executionRoleArn": accepted(_PASTE),
    "ContainerProperties.volumes": accepted(_PASTE),
    "ContainerProperties.environment": accepted("the simulation does not run the container"),
    "ContainerProperties.mountPoints": accepted(_PASTE),
    "ContainerProperties.readonlyRootFilesystem": accepted(_PASTE),
    "ContainerProperties.privileged": accepted(_PASTE),
    "ContainerProperties.ulimits": accepted(_PASTE),
    "ContainerProperties.user": accepted(_PASTE),
    "ContainerProperties.instanceType": modelled(MN + "test_all_nodes_are_provisioned_then_the_job_runs_for_the_main_node"),
    "ContainerProperties.resourceRequirements": modelled(ML + "test_overshoot_is_the_smallest_instance_that_takes_a_job"),
    "ContainerProperties.linuxParameters": accepted(_PASTE),
    "ContainerProperties.logConfiguration": accepted(_PASTE),
    "ContainerProperties.secrets": accepted(_PASTE),
    "ContainerProperties.networkConfiguration": accepted(_PASTE),
    "ContainerProperties.fargatePlatformConfiguration": accepted(_PASTE),
    "ContainerProperties.enableExecuteCommand": accepted(_PASTE),
    "ContainerProperties.ephemeralStorage": accepted(_PASTE),
    "ContainerProperties.runtimePlatform": accepted(_PASTE),
    "ContainerProperties.repositoryCredentials": accepted(_PASTE),
    "ResourceRequirement.value": modelled(ML + "test_overshoot_is_the_smallest_instance_that_takes_a_job"),
    "ResourceRequirement.type": modelled(ML + "test_overshoot_is_the_smallest_instance_that_takes_a_job"),
    "ResourceRequirement.type=GPU": modelled("tests/test_scenarios.py::test_gpu_mix_never_more_gpu_jobs_than_gpus_on_an_instance"),
    "ResourceRequirement.type=VCPU": modelled(ML + "test_overshoot_is_the_smallest_instance_that_takes_a_job"),
    "ResourceRequirement.type=MEMORY": modelled(ML + "test_job_asking_nominal_memory_stays_runnable_with_reason"),
    "NodeProperties.numNodes": modelled(MN + "test_results_count_every_node"),
    "NodeProperties.mainNode": modelled(MN + "test_loader_checks_node_ranges_main_node_and_instance_type"),
    "NodeProperties.nodeRangeProperties": modelled(MN + "test_all_nodes_are_provisioned_then_the_job_runs_for_the_main_node"),
    "NodeRangeProperty.targetNodes": modelled(MN + "test_loader_checks_node_ranges_main_node_and_instance_type"),
    "NodeRangeProperty.container": modelled(MN + "test_all_nodes_are_provisioned_then_the_job_runs_for_the_main_node"),
    "NodeRangeProperty.instanceTypes": modelled(MN + "test_loader_checks_node_ranges_main_node_and_instance_type"),
    "NodeRangeProperty.ecsProperties": modelled(EC + "test_a_node_range_may_be_a_multi_container_task"),
    "NodeRangeProperty.eksProperties": unsupported(_EKS),
    "NodeRangeProperty.consumableResourceProperties": modelled(CO + "test_a_multinode_job_needs_its_node_ranges_quantity_per_node"),
    "RetryStrategy.attempts": modelled(ML + "test_no_matching_rule_means_retry"),
    "RetryStrategy.evaluateOnExit": modelled(ML + "test_evaluate_on_exit_exit_stops_after_first_attempt"),
    "EvaluateOnExit.onStatusReason": modelled("tests/test_spot.py::test_evaluate_on_exit_can_exit_on_host_reclaims"),
    "EvaluateOnExit.onReason": modelled(ML + "test_evaluate_on_exit_retry_uses_every_attempt_back_to_back"),
    "EvaluateOnExit.onExitCode": modelled(ML + "test_evaluate_on_exit_exit_stops_after_first_attempt"),
    "EvaluateOnExit.action": modelled(ML + "test_evaluate_on_exit_exit_stops_after_first_attempt"),
    "EvaluateOnExit.action=RETRY": modelled(ML + "test_evaluate_on_exit_retry_uses_every_attempt_back_to_back"),
    "EvaluateOnExit.action=EXIT": modelled(ML + "test_evaluate_on_exit_exit_stops_after_first_attempt"),
    "JobTimeout.attemptDurationSeconds": modelled(ML + "test_timeout_fails_attempt_and_is_not_retried"),
    # SubmitJob (workload entries)
    "SubmitJobRequest.jobName": modelled(SM + "test_submit_job_fields_win_over_the_definition"),
    "SubmitJobRequest.jobQueue": modelled(ML + "test_higher_priority_queue_served_first_when_capacity_frees"),
    "SubmitJobRequest.shareIdentifier": modelled(FS + "test_two_equal_shares_take_turns_where_fifo_runs_the_first_submitter_first"),
    "SubmitJobRequest.schedulingPriorityOverride": modelled(FS + "test_higher_scheduling_priority_runs_first_within_a_share"),
    "SubmitJobRequest.arrayProperties": modelled(ML + "test_array_children_and_parent_rollup"),
    "SubmitJobRequest.dependsOn": modelled("tests/test_dependencies.py::test_a_job_waits_in_pending_until_its_dependency_succeeds"),
    "SubmitJobRequest.jobDefinition": modelled(ML + "test_fifo_holds_across_job_shapes"),
    "SubmitJobRequest.parameters": accepted("Ref:: substitution in a command the simulation does not run"),
    "SubmitJobRequest.containerOverrides": modelled(ML + "test_backfill_lets_a_later_small_job_pass_a_blocked_head"),
    "SubmitJobRequest.nodeOverrides": modelled(EC + "test_node_overrides_num_nodes_sets_how_many_instances_the_job_holds"),
    "SubmitJobRequest.retryStrategy": modelled(SM + "test_submit_job_fields_win_over_the_definition"),
    "SubmitJobRequest.propagateTags": accepted(_PASTE),
    "SubmitJobRequest.timeout": modelled(SM + "test_submit_job_fields_win_over_the_definition"),
    "SubmitJobRequest.tags": accepted(_PASTE),
    "SubmitJobRequest.eksPropertiesOverride": unsupported(_EKS),
    "SubmitJobRequest.ecsPropertiesOverride": modelled(EC + "test_ecs_properties_override_replaces_one_containers_resources"),
    "SubmitJobRequest.consumableResourcePropertiesOverride": modelled(CO + "test_the_submit_override_replaces_the_definitions_quantity"),
    "ArrayProperties.size": modelled(ML + "test_array_children_and_parent_rollup"),
    "JobDependency.jobId": modelled("tests/test_dependencies.py::test_a_job_waits_in_pending_until_its_dependency_succeeds"),
    "JobDependency.type": modelled("tests/test_dependencies.py::test_sequential_children_run_one_after_another"),
    "JobDependency.type=N_TO_N": modelled("tests/test_dependencies.py::test_n_to_n_pairs_children_a_plain_dependency_waits_for_the_whole_array"),
    "JobDependency.type=SEQUENTIAL": modelled("tests/test_dependencies.py::test_sequential_children_run_one_after_another"),
    "NodeOverrides.numNodes": modelled(EC + "test_node_overrides_num_nodes_sets_how_many_instances_the_job_holds"),
    "NodeOverrides.nodePropertyOverrides": modelled(EC + "test_node_override_targets_and_resources_are_checked"),
    "NodePropertyOverride.targetNodes": modelled(EC + "test_node_override_targets_and_resources_are_checked"),
    "NodePropertyOverride.containerOverrides": modelled(EC + "test_node_override_targets_and_resources_are_checked"),
    "NodePropertyOverride.ecsPropertiesOverride": modelled(EC + "test_node_overrides_of_a_multi_container_range"),
    "NodePropertyOverride.instanceTypes": unsupported(_NODE_TYPE),
    "NodePropertyOverride.eksPropertiesOverride": unsupported(_NODE_EKS),
    "NodePropertyOverride.consumableResourcePropertiesOverride": unsupported(_NODE_CONSUMABLE),
    "EcsPropertiesOverride.taskProperties": modelled(EC + "test_ecs_properties_override_replaces_one_containers_resources"),
    "TaskPropertiesOverride.containers": modelled(EC + "test_ecs_properties_override_replaces_one_containers_resources"),
    "TaskContainerOverrides.command": accepted("the simulation does not run the container"),
    "TaskContainerOverrides.environment": accepted("the simulation does not run the container"),
    "TaskContainerOverrides.name": modelled(EC + "test_ecs_properties_override_replaces_one_containers_resources"),
    "TaskContainerOverrides.resourceRequirements": modelled(EC + "test_ecs_properties_override_replaces_one_containers_resources"),
    "ContainerOverrides.vcpus": modelled(SM + "test_deprecated_vcpus_and_memory_size_the_job"),
    "ContainerOverrides.memory": modelled(SM + "test_deprecated_vcpus_and_memory_size_the_job"),
    "ContainerOverrides.command": accepted("the simulation does not run the container"),
    "ContainerOverrides.instanceType": accepted("multi-node jobs take their node type from the definition"),
    "ContainerOverrides.environment": accepted("the simulation does not run the container"),
    "ContainerOverrides.resourceRequirements": modelled(ML + "test_backfill_lets_a_later_small_job_pass_a_blocked_head"),
    # CreateSchedulingPolicy
    "CreateSchedulingPolicyRequest.name": modelled(FS + "test_loader_checks_fair_share_rules"),
    "CreateSchedulingPolicyRequest.quotaSharePolicy": unsupported(_SERVICE_ENVIRONMENTS),
    "CreateSchedulingPolicyRequest.fairsharePolicy": modelled(FS + "test_a_lower_weight_gets_proportionally_more_slots"),
    "CreateSchedulingPolicyRequest.tags": accepted(_PASTE),
    "FairsharePolicy.shareDecaySeconds": modelled(FS + "test_decayed_history_lets_a_new_share_catch_up"),
    "FairsharePolicy.computeReservation": modelled(FS + "test_compute_reservation_keeps_room_for_shares_not_yet_active"),
    "FairsharePolicy.shareDistribution": modelled(FS + "test_a_lower_weight_gets_proportionally_more_slots"),
    "ShareAttributes.shareIdentifier": modelled(FS + "test_a_prefix_share_splits_its_weight_among_its_identifiers"),
    "ShareAttributes.weightFactor": modelled(FS + "test_a_lower_weight_gets_proportionally_more_slots"),
    # CreateConsumableResource (a top-level consumableResources list)
    "CreateConsumableResourceRequest.consumableResourceName": modelled(CO + "test_loader_reports_names_and_quantities_with_their_paths"),
    "CreateConsumableResourceRequest.totalQuantity": modelled(CO + "test_the_head_waits_in_runnable_until_its_licence_comes_back"),
    "CreateConsumableResourceRequest.resourceType": modelled(CO + "test_a_non_replenishable_resource_is_used_up"),
    "CreateConsumableResourceRequest.tags": accepted(_PASTE),
    # CancelJob, TerminateJob (the actions timeline)
    "CancelJobRequest.jobId": modelled(AC + "test_cancel_fails_waiting_jobs_and_leaves_running_ones"),
    "CancelJobRequest.reason": modelled(AC + "test_cancel_fails_waiting_jobs_and_leaves_running_ones"),
    "TerminateJobRequest.jobId": modelled(AC + "test_terminate_stops_a_running_attempt_and_fails_its_dependents"),
    "TerminateJobRequest.reason": modelled(AC + "test_terminate_stops_a_running_attempt_and_fails_its_dependents"),
}
# fmt: on

OPERATIONS: dict[str, tuple[str, str, Entry]] = {
    "CreateComputeEnvironment": ("CreateComputeEnvironmentRequest", "computeEnvironments[]", modelled(ML + "test_one_job_on_empty_ce_timestamps_and_bill")),
    "UpdateComputeEnvironment": ("UpdateComputeEnvironmentRequest", "actions[].UpdateComputeEnvironment", modelled(AC + "test_raising_max_vcpus_lets_a_waiting_job_scale_out")),
    "CreateJobQueue": ("CreateJobQueueRequest", "jobQueues[]", modelled(ML + "test_higher_priority_queue_served_first_when_capacity_frees")),
    "UpdateJobQueue": ("UpdateJobQueueRequest", "actions[].UpdateJobQueue", modelled(AC + "test_a_disabled_queue_refuses_later_submissions")),
    "RegisterJobDefinition": ("RegisterJobDefinitionRequest", "jobDefinitions[]", modelled(ML + "test_one_job_on_empty_ce_timestamps_and_bill")),
    "SubmitJob": ("SubmitJobRequest", "workload[].submit", modelled(ML + "test_one_job_on_empty_ce_timestamps_and_bill")),
    "CreateSchedulingPolicy": ("CreateSchedulingPolicyRequest", "schedulingPolicies[]", modelled(FS + "test_a_lower_weight_gets_proportionally_more_slots")),
    "CreateConsumableResource": ("CreateConsumableResourceRequest", "consumableResources[]", modelled(CO + "test_the_head_waits_in_runnable_until_its_licence_comes_back")),
    "CancelJob": ("CancelJobRequest", "actions[].CancelJob", modelled(AC + "test_cancel_fails_waiting_jobs_and_leaves_running_ones")),
    "TerminateJob": ("TerminateJobRequest", "actions[].TerminateJob", modelled(AC + "test_terminate_stops_a_running_attempt_and_fails_its_dependents")),
}  # fmt: skip
"""Each operation a scenario speaks: (its request shape, where a scenario writes it, its class)."""

SCHEMA_SHAPES: dict[str, tuple[str, ...]] = {
    "ComputeEnvironment": ("CreateComputeEnvironmentRequest",),
    "ComputeResources": ("ComputeResource",),
    "ScalingPolicy": ("ComputeScalingPolicy",),
    "UpdateComputeEnvironmentAction": ("UpdateComputeEnvironmentRequest",),
    "UpdateComputeResources": ("ComputeResourceUpdate",),
    "JobQueue": ("CreateJobQueueRequest",),
    "ComputeEnvironmentOrder": ("ComputeEnvironmentOrder",),
    "JobStateTimeLimitAction": ("JobStateTimeLimitAction",),
    "UpdateJobQueueAction": ("UpdateJobQueueRequest",),
    "JobDefinition": ("RegisterJobDefinitionRequest",),
    "ContainerProperties": ("ContainerProperties",),
    "ResourceRequirement": ("ResourceRequirement",),
    "NodeProperties": ("NodeProperties",),
    "NodeRangeProperty": ("NodeRangeProperty",),
    "RetryStrategy": ("RetryStrategy",),
    "EvaluateOnExit": ("EvaluateOnExit",),
    "JobTimeout": ("JobTimeout",),
    "SubmitJob": ("SubmitJobRequest",),
    "ArrayProperties": ("ArrayProperties",),
    "JobDependency": ("JobDependency",),
    "ContainerOverrides": ("ContainerOverrides",),
    "SchedulingPolicy": ("CreateSchedulingPolicyRequest",),
    "FairsharePolicy": ("FairsharePolicy",),
    "ShareAttributes": ("ShareAttributes",),
    "JobAction": ("CancelJobRequest", "TerminateJobRequest"),
    "UpdatePolicy": ("UpdatePolicy",),
    "EcsProperties": ("EcsProperties",),
    "EcsTaskProperties": ("EcsTaskProperties",),
    "TaskContainerProperties": ("TaskContainerProperties",),
    "ConsumableResourceProperties": ("ConsumableResourceProperties",),
    "ConsumableResourceRequirement": ("ConsumableResourceRequirement",),
    "NodeOverrides": ("NodeOverrides",),
    "EcsPropertiesOverride": ("EcsPropertiesOverride",),
    "TaskPropertiesOverride": ("TaskPropertiesOverride",),
    "TaskContainerOverrides": ("TaskContainerOverrides",),
    "ConsumableResource": ("CreateConsumableResourceRequest",),
}
"""The botocore shape(s) each scenario model mirrors, by the model's class name."""


class ReadOnly(NamedTuple):
    """The members AWS returns on a described object that its create request does not take:
    ``shape`` is the output shape (``Describe…`` response items), ``operation`` the describe
    call that returns it."""

    shape: str
    operation: str
    fields: tuple[str, ...]


READ_ONLY: dict[str, ReadOnly] = {
    "computeEnvironments": ReadOnly("ComputeEnvironmentDetail", "DescribeComputeEnvironments", (
        "computeEnvironmentArn", "containerOrchestrationType", "ecsClusterArn", "status",
        "statusReason", "updatePolicy", "uuid")),
    "jobQueues": ReadOnly("JobQueueDetail", "DescribeJobQueues", ("jobQueueArn", "status", "statusReason")),
    "jobDefinitions": ReadOnly("JobDefinition", "DescribeJobDefinitions", (
        "containerOrchestrationType", "jobDefinitionArn", "revision", "status")),
    "schedulingPolicies": ReadOnly("SchedulingPolicyDetail", "DescribeSchedulingPolicies", ("arn",)),
}  # fmt: skip
"""Read-only fields by the scenario list whose entries may carry them (pasted describe output):
the loader and ``batchsim import-aws`` drop them with a note. ``tests/test_service_model.py``
checks each tuple against botocore (the output shape's members minus the request's)."""


def refusal(model: str, key: str, value: object = None) -> str | None:
    """Return the loader's message for ``key`` (or its enum ``value``) on the scenario model
    named ``model`` when the table says *not supported*; None otherwise. ``model`` "Scenario"
    looks ``key`` up among the operations' top-level lists."""
    if model == "Scenario":
        entries = [entry for _, where, entry in OPERATIONS.values() if where == f"{key}[]"]
    else:
        suffix = "" if value is None else f"={value}"
        paths = (f"{shape}.{key}{suffix}" for shape in SCHEMA_SHAPES.get(model, ()))
        entries = [FIELDS[path] for path in paths if path in FIELDS]
    shown = repr(key) if value is None else repr(value)
    for entry in entries:
        if entry.support is Support.NOT_SUPPORTED:
            return f"{shown} is not supported by batchsim: {entry.detail}"
    return None


# ----------------------------------------------------------------------------- the docs
def coverage() -> Counter[Support]:
    """Count the table's fields and enum values by class."""
    return Counter(entry.support for entry in FIELDS.values())


def coverage_sentence() -> str:
    """One sentence with the coverage figure, as README.md and docs/scenario-format.md give it."""
    counts, total = coverage(), len(FIELDS)
    return (
        f"Of the {total} input fields and enum values of the AWS Batch service model that a "
        f"scenario speaks, batchsim models {counts[Support.MODELLED]}, accepts "
        f"{counts[Support.ACCEPTED]} without effect and refuses {counts[Support.NOT_SUPPORTED]} "
        "as not supported."
    )


def _cell(entry: Entry) -> str:
    if entry.support is Support.MODELLED:
        return f"`{entry.detail.removeprefix('tests/')}`"
    return entry.detail.replace("|", "\\|")


def markdown() -> str:
    """Render the table as the Markdown that sits between the markers of the scenario docs."""
    lines = [
        coverage_sentence(),
        "",
        "| AWS operation | in a scenario | batchsim |",
        "|---|---|---|",
    ]
    for operation, (_, where, entry) in OPERATIONS.items():
        lines.append(f"| {operation} | `{where}` | {entry.support} |")
    lines += ["", "| AWS field or value | batchsim | shown by / message |", "|---|---|---|"]
    lines += [f"| `{path}` | {entry.support} | {_cell(entry)} |" for path, entry in FIELDS.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] != ["--markdown"]:
        sys.exit("usage: python3 -m batchsim.scenario.aws_fields --markdown")
    sys.stdout.write(markdown())
