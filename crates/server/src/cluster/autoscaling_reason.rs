//! The `reason` sentence of an `autoscaling` event, worded as OpenVidu's
//! ("… cluster average load (7.95%) is below its limits [30.00%, 70.00%] …
//! 2 launching Media Nodes will be canceled"): what was seen, then what will
//! be done. Operators read it in the CDR and in webhooks.

use super::autoscaling::Cause;
use crate::events::AutoscalingReport;

/// `waiting`: ids of drained nodes that keep sessions (they wait idle instead of terminating).
pub(super) fn sentence(cause: Cause, report: &AutoscalingReport, waiting: &[String]) -> String {
    let (limits, figures) = (&report.limits, &report.figures);
    let seen = match cause {
        Cause::Overloaded => format!(
            "The cluster average load ({:.2}%) is above its limits [{:.2}%, {:.2}%] and the upper limit of Media Nodes ({}) has not been reached.",
            figures.avg_load, limits.min_avg_load, limits.max_avg_load, limits.max_nodes
        ),
        Cause::Underloaded => format!(
            "The cluster average load ({:.2}%) is below its limits [{:.2}%, {:.2}%] and the lower limit of Media Nodes ({}) has not been reached.",
            figures.avg_load, limits.min_avg_load, limits.max_avg_load, limits.min_nodes
        ),
        Cause::BelowMinNodes => format!(
            "The number of Media Nodes ({}) is below the lower limit of Media Nodes ({}).",
            figures.num_nodes, limits.min_nodes
        ),
        Cause::AboveMaxNodes => format!(
            "The number of Media Nodes ({}) is above the upper limit of Media Nodes ({}).",
            figures.num_nodes, limits.max_nodes
        ),
    };
    let terminated = report.drained.len() - waiting.len();
    let clauses: Vec<String> = [
        (report.revived.len(), "waiting-idle-to-terminate", "will be set back to running"),
        (report.relaunched.len(), "canceled", "will be launched again"),
        (report.new_nodes, "new", "will be launched"),
        (report.canceled.len(), "launching", "will be canceled"),
        (terminated, "running", "will be terminated"),
        (waiting.len(), "running", "will wait idle to terminate"),
    ]
    .into_iter()
    .filter(|(count, _, _)| *count > 0)
    .map(|(count, kind, what)| format!("{count} {kind} {} {what}", nodes(count)))
    .collect();
    format!("{seen} {}.", joined(&clauses))
}

fn nodes(count: usize) -> &'static str {
    if count == 1 { "Media Node" } else { "Media Nodes" }
}

/// "a", "a and b", "a, b and c".
fn joined(clauses: &[String]) -> String {
    match clauses {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::joined;

    #[test]
    fn clauses_join_as_english_lists() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(joined(&s(&[])), "");
        assert_eq!(joined(&s(&["a"])), "a");
        assert_eq!(joined(&s(&["a", "b"])), "a and b");
        assert_eq!(joined(&s(&["a", "b", "c"])), "a, b and c");
    }
}
