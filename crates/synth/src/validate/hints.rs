//! The fix for a finding whose rule did not write one of its own.
//!
//! Every finding synth reports tells the user what to do next. Most rules write a hint
//! fitted to the case (the allowed values, the did-you-mean); for the rest, the fix
//! follows from the kind of finding, and is given here by its code. The property test
//! `tests/validator_props.rs` holds every finding of arbitrary templates to this.

use stackwright_core::Diagnostic;

/// Gives each finding without a hint the fix its code calls for.
pub(super) fn complete(diagnostics: &mut [Diagnostic]) {
    for d in diagnostics.iter_mut().filter(|d| d.hint.is_none()) {
        d.hint = fallback(d.code).map(str::to_string);
    }
}

/// The fix a finding of `code` calls for, when its rule gave none.
fn fallback(code: &str) -> Option<&'static str> {
    Some(match code {
        "unknown-reference" => {
            "name an element of this stack (check the spelling), or refer to it through its handle so synth writes the reference"
        }
        "unknown-attribute" => "use an attribute the resource type returns (Fn::GetAtt)",
        "unknown-property" => "remove the property, or correct its name to one the type has",
        "missing-required" => "set the property: CloudFormation rejects the resource without it",
        "wrong-type" => "give the value the JSON type the CloudFormation schema declares for it",
        "invalid-value" => {
            "change the value so it meets the rule named in the message (CloudFormation checks the same)"
        }
        "invalid-tag" => "fix the tag where it is added (app, stack or construct tags)",
        "template-limit" => "split the stack in two, or remove what it does not need",
        "template-size" => {
            "nothing to do with a deploy bucket; to send the template inline, move resources into another stack"
        }
        "reference-cycle" => {
            "remove one of the references or DependsOn entries of the cycle, or move a resource into another stack"
        }
        "duplicate-export" => {
            "give each export a name unique in the account and region (rename the output or its stack)"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_hint_is_filled_by_code_and_a_written_one_is_kept() {
        let mut ds = [
            Diagnostic::error("reference-cycle", "S/A", "A and B refer to each other"),
            Diagnostic::error("unknown-reference", "S/A", "m").with_hint("did you mean 'B'?"),
            Diagnostic::error("a-check-of-the-users", "S/A", "m"),
        ];
        complete(&mut ds);
        assert!(ds[0].hint.as_deref().is_some_and(|h| h.contains("cycle")));
        assert_eq!(ds[1].hint.as_deref(), Some("did you mean 'B'?"));
        assert_eq!(
            ds[2].hint, None,
            "only synth's own codes get a fix from here"
        );
    }
}
