//! Every rule and bound of [`decide`], one test each.

use std::time::Duration;

use super::*;
use NodeStatus::*;

fn config() -> AutoscalingConfig {
    AutoscalingConfig { max_nodes: 3, min_nodes: 1, max_load: 70.0, min_load: 30.0, interval: Duration::from_secs(1) }
}

fn with(max_nodes: usize, min_nodes: usize) -> AutoscalingConfig {
    AutoscalingConfig { max_nodes, min_nodes, ..config() }
}

/// A node `id` in `status` with `load`, launched at `launched`, hosting `sessions`.
fn node(id: &str, status: NodeStatus, load: f64, launched: u64, sessions: usize) -> NodeState {
    NodeState {
        node: MediaNode {
            id: id.into(),
            environment_id: Some(id.into()),
            ip: Some("127.0.0.1".into()),
            uri: None,
            connected: status != Launching,
            connection_time: None,
            disconnection_time: None,
            launching_time: launched,
            status,
            load,
        },
        sessions,
    }
}

fn running(id: &str, load: f64) -> NodeState {
    node(id, Running, load, 1, 0)
}

fn set(id: &str, to: NodeStatus) -> Action {
    Action::SetStatus { id: id.into(), to }
}

fn ids(nodes: &[NodeSummary]) -> Vec<&str> {
    nodes.iter().map(|n| n.id.as_str()).collect()
}

#[test]
fn within_limits_nothing_is_decided() {
    assert_eq!(decide(&[running("a", 50.0)], config(), 1), None);
    assert_eq!(decide(&[running("a", 70.0)], config(), 1), None, "at the upper limit");
    assert_eq!(decide(&[running("a", 30.0), running("b", 30.0)], config(), 1), None, "at the lower limit");
}

#[test]
fn no_nodes_and_no_lower_bound_is_left_alone() {
    assert_eq!(decide(&[], with(3, 0), 1), None);
}

#[test]
fn fewer_nodes_than_the_minimum_are_launched_even_when_idle() {
    let decision = decide(&[], with(3, 2), 7).unwrap();
    assert_eq!(decision.actions, vec![Action::Launch(2)]);
    assert_eq!(decision.report.new_nodes, 2);
    assert_eq!(decision.at, 7);
    assert!(
        decision.report.reason.contains("(0) is below the lower limit of Media Nodes (2)"),
        "{}",
        decision.report.reason
    );
    assert!(decision.report.reason.ends_with("2 new Media Nodes will be launched."), "{}", decision.report.reason);
}

#[test]
fn overload_launches_one_more_node() {
    let decision = decide(&[running("a", 90.0)], config(), 1).unwrap();
    assert_eq!(decision.actions, vec![Action::Launch(1)]);
    let figures = decision.report.figures;
    assert_eq!((figures.num_nodes, figures.total_load, figures.avg_load), (1, 90.0, 90.0));
    assert_eq!(
        decision.report.reason,
        "The cluster average load (90.00%) is above its limits [30.00%, 70.00%] and the upper limit of Media \
         Nodes (3) has not been reached. 1 new Media Node will be launched."
    );
}

#[test]
fn overload_adds_enough_nodes_for_the_projected_average_to_fit() {
    // 100% over MAX_LOAD 30%: four nodes bring the average to 25%.
    let config = AutoscalingConfig { max_nodes: 10, max_load: 30.0, min_load: 10.0, ..config() };
    assert_eq!(decide(&[running("a", 100.0)], config, 1).unwrap().actions, vec![Action::Launch(3)]);
}

#[test]
fn growth_stops_at_the_maximum() {
    assert_eq!(
        decide(&[running("a", 100.0), running("b", 100.0)], config(), 1).unwrap().actions,
        vec![Action::Launch(1)]
    );
    assert_eq!(decide(&[running("a", 100.0), running("b", 100.0)], with(2, 1), 1), None, "at the maximum: no event");
}

#[test]
fn growth_revives_draining_nodes_before_relaunching_canceled_ones_before_launching() {
    let nodes = [
        running("a", 100.0),
        running("b", 100.0),
        node("w", WaitingIdleToTerminate, 100.0, 1, 3),
        node("c-new", Canceled, 0.0, 20, 0),
        node("c-old", Canceled, 0.0, 10, 0),
    ];
    // total 300 → ceil(300/70) = 5 nodes → two more than a and b… and w once it runs.
    let decision = decide(&nodes, with(10, 1), 1).unwrap();
    assert_eq!(decision.actions, vec![set("w", Running), set("c-old", Launching), set("c-new", Launching)]);
    assert_eq!(ids(&decision.report.revived), ["w"]);
    assert_eq!(ids(&decision.report.relaunched), ["c-old", "c-new"]);
    assert_eq!(decision.report.new_nodes, 0);
    assert_eq!(decision.report.media_nodes()["launch"]["total"], 3);

    let one_canceled = [running("a", 100.0), running("b", 100.0), node("w", WaitingIdleToTerminate, 100.0, 1, 3)];
    let mut nodes = one_canceled.to_vec();
    nodes.push(node("c", Canceled, 0.0, 10, 0));
    let decision = decide(&nodes, with(10, 1), 1).unwrap();
    assert_eq!(decision.actions, vec![set("w", Running), set("c", Launching), Action::Launch(1)]);
    assert!(
        decision.report.reason.ends_with(
            "1 waiting-idle-to-terminate Media Node will be set back to running, 1 canceled Media Node will be \
             launched again and 1 new Media Node will be launched."
        ),
        "{}",
        decision.report.reason
    );
}

#[test]
fn relaunching_takes_the_oldest_canceled_node_first() {
    let nodes = [running("a", 90.0), node("late", Canceled, 0.0, 30, 0), node("early", Canceled, 0.0, 5, 0)];
    assert_eq!(decide(&nodes, config(), 1).unwrap().actions, vec![set("early", Launching)]);
}

#[test]
fn a_draining_nodes_load_counts_but_not_as_a_node() {
    // 50 + 50 over one counted node: 100% average, so the draining node is revived.
    let nodes = [running("a", 50.0), node("w", WaitingIdleToTerminate, 50.0, 1, 1)];
    let decision = decide(&nodes, config(), 1).unwrap();
    assert_eq!((decision.report.figures.num_nodes, decision.report.figures.total_load), (1, 100.0));
    assert_eq!(decision.actions, vec![set("w", Running)]);
}

#[test]
fn a_launching_node_counts_in_the_divisor() {
    // 73% on one node becomes 36.5% as soon as a second one launches: no second launch.
    assert_eq!(decide(&[running("a", 73.0), node("l", Launching, 0.0, 2, 0)], config(), 1), None);
    assert_eq!(decide(&[running("a", 100.0), running("b", 100.0), node("l", Launching, 0.0, 2, 0)], config(), 1), None);
    // Still overloaded with the launching node counted (300 / 4 = 75%): one more, not two.
    let nodes = [running("a", 100.0), running("b", 100.0), running("c", 100.0), node("l", Launching, 0.0, 2, 0)];
    let decision = decide(&nodes, with(10, 1), 1).unwrap();
    assert_eq!(decision.report.figures.avg_load, 75.0);
    assert_eq!(decision.actions, vec![Action::Launch(1)]);
}

#[test]
fn a_launch_in_progress_is_not_canceled_when_that_would_overload_again() {
    // 36.5% is below MIN_LOAD 40%, but without the launching node the average would be 73%.
    let config = AutoscalingConfig { min_load: 40.0, ..config() };
    assert_eq!(decide(&[running("a", 73.0), node("l", Launching, 0.0, 2, 0)], config, 1), None);
}

#[test]
fn growth_then_the_next_rounds_leave_the_cluster_alone() {
    let decision = decide(&[running("a", 90.0)], config(), 1).unwrap();
    assert_eq!(decision.actions, vec![Action::Launch(1)]);
    assert_eq!(decide(&[running("a", 90.0), node("b", Launching, 0.0, 2, 0)], config(), 2), None);
    assert_eq!(decide(&[running("a", 90.0), running("b", 0.0)], config(), 3), None, "not sampled yet");
    assert_eq!(decide(&[running("a", 45.0), running("b", 45.0)], config(), 4), None);
}

#[test]
fn shrinking_cancels_launching_nodes_newest_first_before_stopping_running_ones() {
    let nodes = [
        running("r1", 10.0),
        running("r2", 5.0),
        node("l-old", Launching, 0.0, 10, 0),
        node("l-new", Launching, 0.0, 20, 0),
    ];
    // 15% over four nodes; one node is enough (MIN_NODES 1).
    let decision = decide(&nodes, with(4, 1), 1).unwrap();
    assert_eq!(decision.actions, vec![set("l-new", Canceled), set("l-old", Canceled), set("r2", Terminating)]);
    assert_eq!(ids(&decision.report.canceled), ["l-new", "l-old"]);
    assert_eq!(ids(&decision.report.drained), ["r2"]);
    assert_eq!(decision.report.media_nodes()["terminate"]["total"], 3);
    let reason = &decision.report.reason;
    assert!(reason.starts_with("The cluster average load (3.75%) is below its limits [30.00%, 70.00%]"), "{reason}");
    assert!(
        reason.ends_with("2 launching Media Nodes will be canceled and 1 running Media Node will be terminated."),
        "{reason}"
    );
}

#[test]
fn only_launching_nodes_are_canceled_when_that_is_enough() {
    let nodes = [running("r", 20.0), node("l1", Launching, 0.0, 10, 0), node("l2", Launching, 0.0, 20, 0)];
    assert_eq!(decide(&nodes, config(), 1).unwrap().actions, vec![set("l2", Canceled), set("l1", Canceled)]);
}

#[test]
fn shrinking_stops_the_least_loaded_and_busy_nodes_wait_idle() {
    let nodes = [node("a", Running, 10.0, 1, 2), node("b", Running, 2.0, 1, 1), node("c", Running, 20.0, 1, 0)];
    // 32% over three nodes: one node keeps the average under MAX_LOAD.
    let decision = decide(&nodes, config(), 1).unwrap();
    assert_eq!(decision.actions, vec![set("b", WaitingIdleToTerminate), set("a", WaitingIdleToTerminate)]);
    assert!(decision.report.reason.ends_with("2 running Media Nodes will wait idle to terminate."));
}

#[test]
fn equally_loaded_nodes_stop_the_emptiest_then_the_newest_first() {
    let nodes = [node("old", Running, 5.0, 1, 0), node("new", Running, 5.0, 9, 0), node("busy", Running, 5.0, 5, 1)];
    let decision = decide(&nodes, config(), 1).unwrap();
    assert_eq!(decision.actions, vec![set("new", Terminating), set("old", Terminating)]);
}

#[test]
fn shrinking_stops_at_the_minimum() {
    let nodes = [running("a", 1.0), running("b", 1.0), running("c", 1.0)];
    assert_eq!(decide(&nodes, with(3, 2), 1).unwrap().actions.len(), 1);
    assert_eq!(decide(&nodes[..2], with(3, 2), 1), None, "at the minimum: no event");
}

#[test]
fn shrinking_removes_only_what_brings_the_average_up_to_the_lower_limit() {
    // 4 × 25%: three nodes give 33.3%, inside the limits.
    let nodes = [running("a", 25.0), running("b", 25.0), running("c", 25.0), running("d", 25.0)];
    assert_eq!(decide(&nodes, with(4, 1), 1).unwrap().actions.len(), 1);
}

#[test]
fn narrow_limits_do_not_flap() {
    // 36% average is below 40%, but one node would carry 72% (> 70%), which would launch it again.
    let config = AutoscalingConfig { min_load: 40.0, ..config() };
    assert_eq!(decide(&[running("a", 36.0), running("b", 36.0)], config, 1), None);
    // One node at 71%: two give 35.5%, below 40%, and are then left alone.
    assert_eq!(decide(&[running("a", 71.0)], config, 1).unwrap().actions, vec![Action::Launch(1)]);
    assert_eq!(decide(&[running("a", 71.0), running("b", 0.0)], config, 2), None);
}

#[test]
fn more_nodes_than_the_maximum_are_stopped_whatever_the_load() {
    // MAX_NODES lowered by a restart.
    let nodes = [running("a", 60.0), running("b", 50.0), running("c", 60.0)];
    let decision = decide(&nodes, with(2, 1), 1).unwrap();
    assert_eq!(decision.actions, vec![set("b", Terminating)]);
    assert!(
        decision
            .report
            .reason
            .starts_with("The number of Media Nodes (3) is above the upper limit of Media Nodes (2).")
    );
}

#[test]
fn other_statuses_count_for_nothing() {
    let nodes = [
        running("a", 50.0),
        node("f", Failed, 90.0, 1, 0),
        node("t", Terminating, 90.0, 1, 0),
        node("x", Terminated, 90.0, 1, 0),
        node("c", Canceled, 90.0, 1, 0),
    ];
    assert_eq!(decide(&nodes, config(), 1), None);
}

#[test]
fn the_report_carries_the_limits_and_every_status_count() {
    let nodes = [
        running("a", 95.123),
        node("l", Launching, 0.0, 2, 0),
        node("w", WaitingIdleToTerminate, 60.0, 1, 1),
        node("c", Canceled, 0.0, 1, 0),
    ];
    let decision = decide(&nodes, with(5, 1), 1).unwrap();
    let system = decision.report.system();
    assert_eq!(system["config"]["maxNodes"], 5);
    assert_eq!(system["config"]["minAvgLoad"], 30.0);
    assert_eq!(system["status"]["numNodes"], 2);
    assert_eq!(system["status"]["totalLoad"], 155.12);
    assert_eq!(system["status"]["avgLoad"], 77.56);
    for key in ["runningNodes", "launchingNodes", "waitingIdleToTerminateNodes", "canceledNodes"] {
        assert_eq!(system["status"][key], 1, "{key}");
    }
    let revived = &decision.report.media_nodes()["launch"]["waitingIdleToTerminateNodes"][0];
    assert_eq!(revived["id"], "w");
    assert_eq!(revived["status"], "waiting-idle-to-terminate", "the status before the change");
    assert_eq!(revived["load"], 60.0);
}

#[test]
fn an_inverted_configuration_never_exceeds_the_maximum() {
    assert_eq!(decide(&[], with(1, 3), 1).unwrap().actions, vec![Action::Launch(1)]);
}
