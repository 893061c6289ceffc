//! Who may do what: the one place where roles and centre scoping are decided. Pure logic, no
//! HTTP: handlers ask [`allows`] and map the answer to a status with [`decide`].
//!
//! The rules:
//! - `network_admin` may do everything, in every centre.
//! - Everyone authenticated reads their own centre's programmes and the ones shared with the
//!   network; channels (and their published schedules) are public within the network, except
//!   that a `playout_node` reads only its own centre's.
//! - `centre_admin` does everything within its own centre (programmes, channels, schedules,
//!   alerts, jobs, audit, users and tokens).
//! - `editor` changes its own centre's programmes; `scheduler` its own centre's schedules;
//!   `emergency_operator` sends alerts for its own area (the city centre's area covers the
//!   whole network); `playout_node` writes its own centre's as-run log; `viewer` only reads.
//! - Nobody but `network_admin` changes another centre's things.
//!
//! Status codes follow one rule (see [`decide`]): a role that may never do the action gets 403;
//! an object the caller may not even read is 404 (its existence is not leaked); an object the
//! caller may read but not change is 403.

use catalog::ids::CentreCode;
use catalog::user::Role;
use serde::Serialize;

/// The authenticated caller: a signed-in user or an API token's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Principal {
    pub user_id: catalog::ids::UserId,
    pub username: String,
    pub role: Role,
    pub centre: CentreCode,
    /// The name of the API token the request came with (none for a browser session); changes
    /// made through a token are audited as `user:NAME token:TOKEN`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// An action, checked against the owner centre of the object it touches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    ReadProgramme,
    WriteProgramme,
    ReadChannel,
    WriteChannel,
    ReadSchedule,
    WriteSchedule,
    WriteAsRun,
    ReadAlert,
    SendAlert,
    ReadJob,
    ReadAudit,
    ManageUsers,
}

impl Permission {
    /// Every permission, for tables and tests.
    pub const ALL: &'static [Permission] = &[
        Permission::ReadProgramme,
        Permission::WriteProgramme,
        Permission::ReadChannel,
        Permission::WriteChannel,
        Permission::ReadSchedule,
        Permission::WriteSchedule,
        Permission::WriteAsRun,
        Permission::ReadAlert,
        Permission::SendAlert,
        Permission::ReadJob,
        Permission::ReadAudit,
        Permission::ManageUsers,
    ];
}

/// Whether `p` may perform `perm` on an object owned by `owner_centre` (None: an object that
/// belongs to the network as a whole), which is `shared` with the network or not.
pub fn allows(p: &Principal, perm: Permission, owner_centre: Option<&CentreCode>, shared: bool) -> bool {
    use Permission as P;
    use Role as R;
    if p.role == R::NetworkAdmin {
        return true;
    }
    let own = owner_centre == Some(&p.centre);
    match perm {
        P::ReadProgramme => own || shared,
        P::ReadChannel | P::ReadSchedule => own || (shared && p.role != R::PlayoutNode),
        P::ReadAlert => true,
        P::WriteProgramme => own && matches!(p.role, R::CentreAdmin | R::Editor),
        P::WriteChannel | P::ReadAudit | P::ManageUsers => own && p.role == R::CentreAdmin,
        P::WriteSchedule => own && matches!(p.role, R::CentreAdmin | R::Scheduler),
        P::WriteAsRun => own && matches!(p.role, R::CentreAdmin | R::PlayoutNode),
        P::ReadJob => own && p.role != R::PlayoutNode,
        P::SendAlert => matches!(p.role, R::CentreAdmin | R::EmergencyOperator) && (own || p.centre.is_city()),
    }
}

/// Whether the role may ever do `perm`, on its own centre's objects at best.
pub fn role_may(p: &Principal, perm: Permission) -> bool {
    allows(p, perm, Some(&p.centre), false)
}

/// The outcome of a check, as the API answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// 403: the role may never do this, or the object is visible but not the caller's to change.
    Forbidden,
    /// 404: the caller may not read the object, so it is answered as if it did not exist.
    Hidden,
}

/// Decides an action on an object readable under `read` (e.g. `ReadProgramme` for a
/// `WriteProgramme`), applying the 403/404 rule described in the module documentation.
pub fn decide(p: &Principal, perm: Permission, read: Permission, owner: Option<&CentreCode>, shared: bool) -> Decision {
    if !role_may(p, perm) {
        Decision::Forbidden
    } else if !allows(p, read, owner, shared) {
        Decision::Hidden
    } else if !allows(p, perm, owner, shared) {
        Decision::Forbidden
    } else {
        Decision::Allow
    }
}

/// A role's standing for tokens: the network admin above centre admins, above the working
/// roles (editor, scheduler, emergency operator, playout node), above viewers.
pub fn rank(role: Role) -> u8 {
    match role {
        Role::NetworkAdmin => 3,
        Role::CentreAdmin => 2,
        Role::Viewer => 0,
        _ => 1,
    }
}

/// Whether a token of `token_role` may act for a user of `user_role`: the user's own role, or
/// one of lower rank (any user may hold a viewer token; a viewer never an editor's).
pub fn token_role_within(token_role: Role, user_role: Role) -> bool {
    token_role == user_role || rank(token_role) < rank(user_role)
}

/// Whether `p` may mint an API token in the name of another user of `role` in `centre`: an
/// admin, for a user of their own centre (any centre for the network admin) whose role ranks
/// below their own. (A token for oneself needs no permission.) A centre admin minted tokens
/// in the network admin's name, audited as `user:admin`.
pub fn may_mint_for(p: &Principal, role: Role, centre: &CentreCode) -> bool {
    allows(p, Permission::ManageUsers, Some(centre), false) && rank(role) < rank(p.role)
}

/// Whether `p` may start an upload that creates a programme for `centre`: exactly the rule
/// for creating a programme there.
pub fn may_start_upload(p: &Principal, centre: &CentreCode) -> bool {
    allows(p, Permission::WriteProgramme, Some(centre), false)
}

/// The decision on an upload in progress for `centre` (reading its offset, appending,
/// cancelling): a programme write, and an unfinished upload is private to its centre.
pub fn upload_decision(p: &Principal, centre: &CentreCode) -> Decision {
    decide(p, Permission::WriteProgramme, Permission::ReadProgramme, Some(centre), false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Permission as P;
    use Role as R;

    fn who(role: Role, centre: &str) -> Principal {
        Principal {
            user_id: catalog::ids::UserId::new(),
            username: "u".into(),
            role,
            centre: CentreCode::parse(centre).unwrap(),
            token: None,
        }
    }

    const OWN: &str = "510421";
    const OTHER: &str = "510422";

    /// (permission, roles allowed on own-centre private objects, roles allowed on another
    /// centre's shared objects). Another centre's private objects: network admin only, except
    /// alerts sent by a city-centre operator (tested below).
    fn table() -> Vec<(Permission, Vec<Role>, Vec<Role>)> {
        let all = R::ALL.to_vec();
        let all_but_playout: Vec<Role> = all.iter().copied().filter(|r| *r != R::PlayoutNode).collect();
        vec![
            (P::ReadProgramme, all.clone(), all.clone()),
            (P::WriteProgramme, vec![R::NetworkAdmin, R::CentreAdmin, R::Editor], vec![R::NetworkAdmin]),
            (P::ReadChannel, all.clone(), all_but_playout.clone()),
            (P::WriteChannel, vec![R::NetworkAdmin, R::CentreAdmin], vec![R::NetworkAdmin]),
            (P::ReadSchedule, all.clone(), all_but_playout.clone()),
            (P::WriteSchedule, vec![R::NetworkAdmin, R::CentreAdmin, R::Scheduler], vec![R::NetworkAdmin]),
            (P::WriteAsRun, vec![R::NetworkAdmin, R::CentreAdmin, R::PlayoutNode], vec![R::NetworkAdmin]),
            (P::ReadAlert, all.clone(), all.clone()),
            (P::SendAlert, vec![R::NetworkAdmin, R::CentreAdmin, R::EmergencyOperator], vec![R::NetworkAdmin]),
            (P::ReadJob, all_but_playout, vec![R::NetworkAdmin]),
            (P::ReadAudit, vec![R::NetworkAdmin, R::CentreAdmin], vec![R::NetworkAdmin]),
            (P::ManageUsers, vec![R::NetworkAdmin, R::CentreAdmin], vec![R::NetworkAdmin]),
        ]
    }

    #[test]
    fn the_whole_role_by_permission_by_centre_table_holds() {
        let table = table();
        assert_eq!(table.len(), Permission::ALL.len(), "every permission is in the table");
        let own = CentreCode::parse(OWN).unwrap();
        let other = CentreCode::parse(OTHER).unwrap();
        for (perm, own_roles, shared_roles) in table {
            for &role in R::ALL {
                let p = who(role, OWN);
                assert_eq!(allows(&p, perm, Some(&own), false), own_roles.contains(&role), "{role} {perm:?} own");
                assert_eq!(
                    allows(&p, perm, Some(&other), true),
                    shared_roles.contains(&role),
                    "{role} {perm:?} other shared"
                );
                let other_private = role == R::NetworkAdmin || perm == P::ReadAlert;
                assert_eq!(allows(&p, perm, Some(&other), false), other_private, "{role} {perm:?} other private");
            }
        }
    }

    #[test]
    fn tokens_in_anothers_name_only_from_an_admin_ranking_above_them() {
        let own = CentreCode::parse(OWN).unwrap();
        let admin = who(R::CentreAdmin, OWN);
        assert!(may_mint_for(&admin, R::Editor, &own) && may_mint_for(&admin, R::Viewer, &own));
        assert!(!may_mint_for(&admin, R::NetworkAdmin, &own) && !may_mint_for(&admin, R::CentreAdmin, &own));
        assert!(!may_mint_for(&admin, R::Editor, &CentreCode::parse(OTHER).unwrap()));
        assert!(!may_mint_for(&who(R::Editor, OWN), R::Viewer, &own));
        assert!(token_role_within(R::Viewer, R::Editor) && token_role_within(R::Editor, R::Editor));
        assert!(!token_role_within(R::Scheduler, R::Editor) && !token_role_within(R::CentreAdmin, R::Editor));
    }

    #[test]
    fn the_city_centre_sends_alerts_for_the_whole_network_a_county_only_for_its_own() {
        let county = CentreCode::parse(OTHER).unwrap();
        let city_op = who(R::EmergencyOperator, CentreCode::CITY);
        assert!(allows(&city_op, P::SendAlert, Some(&county), false));
        assert!(allows(&city_op, P::SendAlert, None, false));
        let county_op = who(R::EmergencyOperator, OWN);
        assert!(!allows(&county_op, P::SendAlert, Some(&county), false));
        assert!(!allows(&county_op, P::SendAlert, None, false));
        // The city's editor gains nothing over the counties.
        assert!(!allows(&who(R::Editor, CentreCode::CITY), P::WriteProgramme, Some(&county), true));
    }

    #[test]
    fn network_objects_are_changed_by_the_network_admin_only() {
        for &role in R::ALL {
            let expected = role == R::NetworkAdmin;
            assert_eq!(allows(&who(role, CentreCode::CITY), P::ManageUsers, None, false), expected, "{role}");
        }
    }

    #[test]
    fn invisible_is_404_visible_but_not_yours_is_403_never_allowed_is_403() {
        let other = CentreCode::parse(OTHER).unwrap();
        let editor = who(R::Editor, OWN);
        let w = P::WriteProgramme;
        assert_eq!(decide(&editor, w, P::ReadProgramme, Some(&other), false), Decision::Hidden);
        assert_eq!(decide(&editor, w, P::ReadProgramme, Some(&other), true), Decision::Forbidden);
        assert_eq!(decide(&who(R::Viewer, OWN), w, P::ReadProgramme, Some(&other), false), Decision::Forbidden);
        let own = CentreCode::parse(OWN).unwrap();
        assert_eq!(decide(&editor, w, P::ReadProgramme, Some(&own), false), Decision::Allow);
    }
}
