//! The CAP 1.2 vocabularies (OASIS CAP 1.2 §3.2), shared by every alert form.
//!
//! Values are matched exactly, case included, as CAP requires.

use serde::{Deserialize, Serialize};

macro_rules! cap_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(
                #[doc = concat!("`", $text, "`")]
                #[serde(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in CAP order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Every CAP spelling, in CAP order: the enumeration of the CAP 1.2 schema.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The CAP spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the exact CAP spelling.
            ///
            /// # Errors
            /// A message listing the allowed values.
            pub fn parse(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!(
                        "{:?} is not a {}; expected one of {}",
                        s,
                        stringify!($name),
                        Self::NAMES.join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

cap_enum!(
    /// `status`: how the alert is to be handled.
    Status { Actual = "Actual", Exercise = "Exercise", System = "System", Test = "Test", Draft = "Draft" }
);
cap_enum!(
    /// `msgType`: what the message does.
    MsgType { Alert = "Alert", Update = "Update", Cancel = "Cancel", Ack = "Ack", Error = "Error" }
);
cap_enum!(
    /// `scope`: who may receive it.
    Scope { Public = "Public", Restricted = "Restricted", Private = "Private" }
);
cap_enum!(
    /// `category` of the subject event.
    Category {
        Geo = "Geo", Met = "Met", Safety = "Safety", Security = "Security", Rescue = "Rescue",
        Fire = "Fire", Health = "Health", Env = "Env", Transport = "Transport", Infra = "Infra",
        Cbrne = "CBRNE", Other = "Other",
    }
);
cap_enum!(
    /// `responseType`: the action recommended.
    ResponseType {
        Shelter = "Shelter", Evacuate = "Evacuate", Prepare = "Prepare", Execute = "Execute",
        Avoid = "Avoid", Monitor = "Monitor", Assess = "Assess", AllClear = "AllClear", None = "None",
    }
);
cap_enum!(
    /// `urgency`: when to act.
    Urgency { Immediate = "Immediate", Expected = "Expected", Future = "Future", Past = "Past", Unknown = "Unknown" }
);
cap_enum!(
    /// `severity`: how bad.
    Severity { Extreme = "Extreme", Severe = "Severe", Moderate = "Moderate", Minor = "Minor", Unknown = "Unknown" }
);
cap_enum!(
    /// `certainty`: how likely.
    Certainty { Observed = "Observed", Likely = "Likely", Possible = "Possible", Unlikely = "Unlikely", Unknown = "Unknown" }
);

impl Status {
    /// Whether an alert of this status may ever reach a public channel
    /// (Actual, or Exercise on channels that allow drills).
    pub fn may_air(self) -> bool {
        matches!(self, Status::Actual | Status::Exercise)
    }
}

impl MsgType {
    /// Whether the message itself is something to put on air (Ack and Error never are;
    /// a Cancel stops what it references).
    pub fn airs(self) -> bool {
        matches!(self, MsgType::Alert | MsgType::Update)
    }

    /// Whether CAP requires `references` for this message type.
    pub fn needs_references(self) -> bool {
        !matches!(self, MsgType::Alert)
    }
}

impl Severity {
    /// Rank for ordering: Extreme 4 … Minor 1, Unknown 0.
    pub fn rank(self) -> u8 {
        match self {
            Severity::Extreme => 4,
            Severity::Severe => 3,
            Severity::Moderate => 2,
            Severity::Minor => 1,
            Severity::Unknown => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_spelling_only() {
        assert_eq!(Status::parse("Exercise"), Ok(Status::Exercise));
        assert_eq!(Category::parse("CBRNE"), Ok(Category::Cbrne));
        assert!(Status::parse("actual").is_err());
        assert!(Certainty::parse("Very Likely").is_err());
        let msg = Severity::parse("Huge").unwrap_err();
        assert!(msg.contains("Extreme, Severe, Moderate, Minor, Unknown"), "{msg}");
    }

    #[test]
    fn serialises_as_cap_spelling() {
        assert_eq!(serde_json::to_string(&ResponseType::AllClear).unwrap(), "\"AllClear\"");
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Ok(*s));
        }
    }
}
