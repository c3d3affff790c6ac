//! Which stacks a command works on: names and `*` patterns, matched against the app's
//! stacks. Every command picks its stacks here, so they all read names the same way.

/// What naming no stack means to a command.
// Without the AWS SDK only `synth` selects stacks.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
#[derive(Debug, Clone, Copy)]
pub(crate) enum WhenNoneNamed {
    /// No stack (`synth`: the assembly is written, no template printed).
    Nothing,
    /// Every stack (`diff`).
    All,
    /// The app's only stack; with more than one the user must name them or pass `--all`,
    /// since deploying or deleting everything should never be the accident (`deploy`,
    /// `destroy`, the verb is for the message).
    TheOnlyOne(&'static str),
}

/// The indices into `stacks` (in deployment order) of the stacks `patterns` name, in
/// deployment order and each once; every stack when `all`. The error is the message to
/// print: a pattern that matches nothing, or no names where some are needed.
pub(crate) fn select(
    stacks: &[&str],
    patterns: &[String],
    all: bool,
    none_named: WhenNoneNamed,
) -> Result<Vec<usize>, String> {
    let every = || (0..stacks.len()).collect();
    if all {
        return Ok(every());
    }
    if patterns.is_empty() {
        return match none_named {
            WhenNoneNamed::Nothing => Ok(Vec::new()),
            WhenNoneNamed::All => Ok(every()),
            WhenNoneNamed::TheOnlyOne(_) if stacks.len() == 1 => Ok(every()),
            WhenNoneNamed::TheOnlyOne(verb) => Err(format!(
                "name the stacks to {verb}, or pass --all; the stacks are: {}",
                stacks.join(", ")
            )),
        };
    }
    let mut chosen = vec![false; stacks.len()];
    for pattern in patterns {
        let mut hit = false;
        for (i, name) in stacks.iter().enumerate() {
            if matches_pattern(pattern, name) {
                chosen[i] = true;
                hit = true;
            }
        }
        if !hit {
            return Err(format!(
                "no stack matches '{pattern}'; the stacks are: {}",
                stacks.join(", ")
            ));
        }
    }
    Ok((0..stacks.len()).filter(|i| chosen[*i]).collect())
}

/// `*` matches any run of characters, as in shell globs; nothing else is special.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(pos) = rest.find(part) else {
                return false;
            };
            rest = &rest[pos + part.len()..];
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const STACKS: [&str; 3] = ["App-Base", "App-Runtime", "Other-Base"];

    fn pick(patterns: &[&str], all: bool, none: WhenNoneNamed) -> Result<Vec<usize>, String> {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        select(&STACKS, &patterns, all, none)
    }

    #[test]
    fn patterns_match_like_globs() {
        assert!(matches_pattern("Demo-*", "Demo-Production"));
        assert!(matches_pattern("*-Base", "Demo-Production-Base"));
        assert!(matches_pattern("*Prod*", "Demo-Production-Base"));
        assert!(matches_pattern("Exact", "Exact"));
        assert!(!matches_pattern("Exact", "Exactly"));
        assert!(!matches_pattern("*-Base", "Demo-Production-Runtime"));
    }

    #[test]
    fn stacks_come_in_deployment_order_and_once() {
        let none = WhenNoneNamed::Nothing;
        assert_eq!(
            pick(&["Other-Base", "App-*"], false, none),
            Ok(vec![0, 1, 2])
        );
        assert_eq!(pick(&["*-Base", "App-Base"], false, none), Ok(vec![0, 2]));
        assert_eq!(pick(&["Nope"], true, none), Ok(vec![0, 1, 2]), "--all wins");
    }

    #[test]
    fn naming_nothing_means_what_the_command_says() {
        assert_eq!(pick(&[], false, WhenNoneNamed::Nothing), Ok(vec![]));
        assert_eq!(pick(&[], false, WhenNoneNamed::All), Ok(vec![0, 1, 2]));
        assert_eq!(
            pick(&[], false, WhenNoneNamed::TheOnlyOne("deploy")),
            Err("name the stacks to deploy, or pass --all; the stacks are: App-Base, App-Runtime, Other-Base".into())
        );
        let only = select(&["Solo"], &[], false, WhenNoneNamed::TheOnlyOne("destroy"));
        assert_eq!(only, Ok(vec![0]));
    }

    #[test]
    fn a_pattern_that_matches_nothing_lists_the_stacks() {
        assert_eq!(
            pick(&["App-*", "Nope"], false, WhenNoneNamed::All),
            Err(
                "no stack matches 'Nope'; the stacks are: App-Base, App-Runtime, Other-Base".into()
            )
        );
    }
}
