//! The project lifecycle: DRAFT → SUBMITTED → FUNDED → ACTIVE → COMPLETED, with DECLINED and
//! WITHDRAWN exits, and who may make each move.

use entity::project::ProjectStatus;

/// The institution entitled to make a move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    /// The lead institution's ADMIN or MEMBER.
    Lead,
    /// The programme's funder's ADMIN or MEMBER.
    Funder,
}

/// Who may move a project from `from` to `to`, or `None` when the move does not exist.
pub fn who_may(from: ProjectStatus, to: ProjectStatus) -> Option<Party> {
    use ProjectStatus::*;
    match (from, to) {
        (Draft, Submitted) => Some(Party::Lead),
        (Draft | Submitted | Funded | Active, Withdrawn) => Some(Party::Lead),
        (Submitted, Funded | Declined) => Some(Party::Funder),
        (Funded, Active) => Some(Party::Funder),
        (Active, Completed) => Some(Party::Lead),
        _ => None,
    }
}

pub const ALL: [ProjectStatus; 7] = [
    ProjectStatus::Draft,
    ProjectStatus::Submitted,
    ProjectStatus::Funded,
    ProjectStatus::Active,
    ProjectStatus::Completed,
    ProjectStatus::Declined,
    ProjectStatus::Withdrawn,
];

/// Every state reachable from `from` in one move, with who may make it.
pub fn moves_from(from: ProjectStatus) -> Vec<(ProjectStatus, Party)> {
    ALL.into_iter().filter_map(|to| who_may(from, to).map(|party| (to, party))).collect()
}

pub fn name(status: ProjectStatus) -> String {
    sea_orm::ActiveEnum::to_value(&status)
}

/// "DRAFT can move to SUBMITTED or WITHDRAWN", or that it can move nowhere.
pub fn explain(from: ProjectStatus) -> String {
    let targets: Vec<String> = moves_from(from).into_iter().map(|(to, _)| name(to)).collect();
    if targets.is_empty() {
        format!("the project is {}, a final state", name(from))
    } else {
        format!("the project is {}; it can move to {}", name(from), targets.join(" or "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProjectStatus::*;

    #[test]
    fn the_lead_submits_withdraws_and_completes() {
        assert_eq!(who_may(Draft, Submitted), Some(Party::Lead));
        assert_eq!(who_may(Active, Completed), Some(Party::Lead));
        for from in [Draft, Submitted, Funded, Active] {
            assert_eq!(who_may(from, Withdrawn), Some(Party::Lead), "{from:?}");
        }
    }

    #[test]
    fn the_funder_decides_and_starts() {
        assert_eq!(who_may(Submitted, Funded), Some(Party::Funder));
        assert_eq!(who_may(Submitted, Declined), Some(Party::Funder));
        assert_eq!(who_may(Funded, Active), Some(Party::Funder));
    }

    #[test]
    fn no_other_move_exists() {
        let allowed = [
            (Draft, Submitted),
            (Draft, Withdrawn),
            (Submitted, Withdrawn),
            (Funded, Withdrawn),
            (Active, Withdrawn),
            (Submitted, Funded),
            (Submitted, Declined),
            (Funded, Active),
            (Active, Completed),
        ];
        for from in ALL {
            for to in ALL {
                assert_eq!(who_may(from, to).is_some(), allowed.contains(&(from, to)), "{from:?} -> {to:?}");
            }
        }
        for terminal in [Completed, Declined, Withdrawn] {
            assert!(moves_from(terminal).is_empty());
            assert!(explain(terminal).contains("final"));
        }
        assert_eq!(explain(Draft), "the project is DRAFT; it can move to SUBMITTED or WITHDRAWN");
    }
}
