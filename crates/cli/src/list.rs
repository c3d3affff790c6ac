//! `list`: the stacks in deployment order, where they deploy, what they wait for and,
//! when AWS can be asked, their deployed status.

use std::io::Write;
use std::path::Path;

use indexmap::IndexMap;
use stackwright_synth::Synthesized;

use crate::printer::{BOLD, Printer};
#[cfg(feature = "aws")]
use crate::session::{Context, affects_every_stack, aws_configured, runtime};

/// An AWS configuration from the embedding program, when the SDK is built in.
#[cfg(feature = "aws")]
pub(crate) type AwsOverride = Option<stackwright_deploy::Aws>;
/// An AWS configuration from the embedding program, when the SDK is built in.
#[cfg(not(feature = "aws"))]
pub(crate) type AwsOverride = Option<std::convert::Infallible>;

/// How `list` finds deployed statuses.
// Without the AWS SDK there are none to find.
#[cfg_attr(not(feature = "aws"), allow(dead_code))]
pub(crate) struct Lookup {
    /// Look them up even when no credentials are visibly configured.
    pub status: bool,
    /// Never look them up.
    pub offline: bool,
    pub aws: AwsOverride,
}

pub(crate) fn list(
    p: &Printer,
    s: &Synthesized,
    dir: &Path,
    lookup: Lookup,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<u8, Box<dyn std::error::Error>> {
    let (statuses, failure) = deployed_statuses(p, s, dir, lookup, err)?;
    for st in &s.stacks {
        writeln!(
            out,
            "{}  {}/{}{}{}",
            p.paint(BOLD, &st.name),
            st.env.account,
            st.env.region,
            if st.dependencies.is_empty() {
                String::new()
            } else {
                format!("  after {}", st.dependencies.join(", "))
            },
            statuses
                .get(&st.name)
                .map(|x| format!("  {x}"))
                .unwrap_or_default()
        )?;
    }
    // The statuses could not be looked up at all: said once, not once per stack.
    if let Some(e) = failure {
        p.error(err, &*e)?;
        return Ok(1);
    }
    Ok(0)
}

/// Each stack's deployed status (or why it is unknown), by name, and the error that kept
/// the rest from being looked up, if one did.
type Statuses = (IndexMap<String, String>, Option<Box<dyn std::error::Error>>);

/// Each stack's deployed status (or why it is unknown), by name, when they are to be
/// looked up.
#[cfg(feature = "aws")]
fn deployed_statuses(
    p: &Printer,
    s: &Synthesized,
    dir: &Path,
    lookup: Lookup,
    err: &mut dyn Write,
) -> Result<Statuses, Box<dyn std::error::Error>> {
    use stackwright_deploy::{Deployer, StackTarget};

    let wanted = lookup.status || lookup.aws.is_some() || aws_configured();
    if lookup.offline || !wanted {
        return Ok((IndexMap::new(), None));
    }
    let assembly = s.write(dir)?;
    let mut sink = std::io::sink();
    let ctx = Context {
        p,
        assembly: &assembly,
        out: &mut sink,
        err,
        aws: lookup.aws,
        app: String::new(),
    };
    let targets = StackTarget::all(ctx.assembly)?;
    let rt = runtime()?;
    Ok(rt.block_on(async {
        let deployer = Deployer::new(ctx.aws_for(&targets).await);
        let mut out = IndexMap::new();
        for t in &targets {
            let s = match deployer.status(t).await {
                Ok(Some(s)) => s.status.to_string(),
                Ok(None) => "not deployed".to_string(),
                Err(e) if affects_every_stack(&e) => return (out, Some(e.into())),
                Err(e) => format!(
                    "status unknown: {}",
                    e.to_string().lines().next().unwrap_or_default()
                ),
            };
            out.insert(t.name.clone(), s);
        }
        (out, None)
    }))
}

#[cfg(not(feature = "aws"))]
fn deployed_statuses(
    _p: &Printer,
    _s: &Synthesized,
    _dir: &Path,
    _lookup: Lookup,
    _err: &mut dyn Write,
) -> Result<Statuses, Box<dyn std::error::Error>> {
    Ok((IndexMap::new(), None))
}
