//! The EC2 boot script: install Docker, log in to ECR, read the secrets by ARN, run the
//! image, wait for its health check and report to CloudFormation.
//!
//! The script is bash built from literal text and tokens (the image URI, secret ARNs, the
//! log group), written as `Fn::Sub` and then `Fn::Base64`. Every value that reaches the
//! shell is single-quoted; names (environment variables, the health path) are checked by
//! the fleet's validation to hold no shell syntax. No secret value is ever in the script:
//! only the ARNs the instance reads at boot with its own role.

use indexmap::IndexMap;
use stackwright_core::{Pseudo, Value, cfn_format};

use super::SecretEnv;

/// What one colour's boot script runs.
pub(super) struct BootScript<'a> {
    /// The construct path and colour, for the script's header.
    pub title: String,
    /// `REPOSITORY_URI:TAG`.
    pub image: Value<String>,
    pub port: u16,
    pub health_check_path: &'a str,
    pub health_timeout_seconds: u32,
    pub environment: &'a IndexMap<String, Value<String>>,
    pub secrets: &'a IndexMap<String, SecretEnv>,
    pub log_group: Value<String>,
    /// The logical id of the Auto Scaling group the instance reports to.
    pub signal_resource: String,
}

/// A value as one single-quoted shell word. A literal has its quotes escaped now; a token
/// (an ARN, a host name) resolves to text without quotes.
fn quoted(v: &Value<String>) -> Value<String> {
    match v.expr().as_literal_str() {
        Some(s) => Value::from(format!("'{}'", s.replace('\'', r"'\''"))),
        None => cfn_format!("'{}'", v.clone()),
    }
}

fn word(s: &str) -> Value<String> {
    quoted(&Value::from(s))
}

impl BootScript<'_> {
    /// The script as one string value (not yet base64-encoded).
    pub fn render(&self) -> Value<String> {
        let region = Value::<String>::pseudo(Pseudo::Region);
        let mut parts: Vec<Value<String>> = vec![
            Value::from(format!(
                "#!/bin/bash\n\
                 # {}: boot script written by stackwright.\n\
                 # Installs Docker, logs in to ECR, reads the app's secrets from Secrets Manager by\n\
                 # ARN, runs the image, waits for its health check and reports to CloudFormation.\n\
                 # No secret value is in this script, only the secrets' ARNs.\n\
                 set -euo pipefail\n\n",
                self.title
            )),
            cfn_format!("REGION={}\n", quoted(&region)),
            cfn_format!("IMAGE={}\n", quoted(&self.image)),
            cfn_format!("LOG_GROUP={}\n\n", quoted(&self.log_group)),
            cfn_format!(
                "# Tell CloudFormation how the boot went, whatever happens below.\n\
                 report() {{\n  \
                 local status=$?\n  \
                 /opt/aws/bin/cfn-signal --exit-code \"$status\" --stack {} --resource {} --region \"$REGION\" || true\n\
                 }}\n\
                 trap report EXIT\n\n",
                quoted(&Value::<String>::pseudo(Pseudo::StackName)),
                word(&self.signal_resource)
            ),
            Value::from(
                "dnf install -y docker aws-cfn-bootstrap\n\
                 systemctl enable --now docker\n\n\
                 aws ecr get-login-password --region \"$REGION\" \
                 | docker login --username AWS --password-stdin \"${IMAGE%%/*}\"\n\
                 docker pull \"$IMAGE\"\n\n\
                 secret() {\n  \
                 aws secretsmanager get-secret-value --region \"$REGION\" --secret-id \"$1\" --query SecretString --output text\n\
                 }\n\
                 secret_field() {\n  \
                 secret \"$1\" | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' \"$2\"\n\
                 }\n\
                 # Fills {field} placeholders with the URL-encoded fields of a JSON secret\n\
                 # ({value} for a plain one), so passwords with any character fit in a URL.\n\
                 secret_template() {\n  \
                 secret \"$1\" | python3 -c 'import json, sys, urllib.parse as u\n\
                 raw = sys.stdin.read().rstrip(\"\\n\")\n\
                 try:\n    d = json.loads(raw)\n\
                 except ValueError:\n    d = None\n\
                 d = d if isinstance(d, dict) else {\"value\": raw}\n\
                 print(sys.argv[1].format(**{k: u.quote(str(v), safe=\"\") for k, v in d.items()}))' \"$2\"\n\
                 }\n\n\
                 # The environment stays in memory (/run) and only until the container has it.\n\
                 umask 077\n\
                 ENV_FILE=$(mktemp -p /run app-env.XXXXXX)\n\
                 add_env() { printf '%s=%s\\n' \"$1\" \"$2\" >> \"$ENV_FILE\"; }\n",
            ),
        ];
        for (name, value) in self.environment {
            parts.push(cfn_format!("add_env {} {}\n", name.as_str(), quoted(value)));
        }
        for (name, s) in self.secrets {
            let read = match (&s.template, &s.field) {
                (Some(t), _) => {
                    cfn_format!("secret_template {} {}", quoted(&s.secret.arn()), quoted(t))
                }
                (None, Some(f)) => {
                    cfn_format!("secret_field {} {}", quoted(&s.secret.arn()), word(f))
                }
                (None, None) => cfn_format!("secret {}", quoted(&s.secret.arn())),
            };
            // An assignment fails the script when the read fails (set -e); a command
            // substitution inside add_env's arguments would not.
            parts.push(cfn_format!(
                "value=$({})\nadd_env {} \"$value\"\n",
                read,
                name.as_str()
            ));
        }
        let port = self.port;
        let timeout = self.health_timeout_seconds;
        let path = self.health_check_path;
        parts.push(Value::from(format!(
            "unset value\n\n\
             docker rm --force app 2>/dev/null || true\n\
             docker run --detach --name app --restart unless-stopped -p {port}:{port} \\\n  \
             --env-file \"$ENV_FILE\" \\\n  \
             --log-driver awslogs --log-opt awslogs-region=\"$REGION\" --log-opt awslogs-group=\"$LOG_GROUP\" \\\n  \
             \"$IMAGE\"\n\
             rm -f \"$ENV_FILE\"\n\n\
             deadline=$((SECONDS + {timeout}))\n\
             until curl --silent --fail --max-time 5 --output /dev/null \"http://127.0.0.1:{port}{path}\"; do\n  \
             if (( SECONDS >= deadline )); then\n    \
             echo \"no healthy answer from {path} within {timeout} s\" >&2\n    \
             exit 1\n  \
             fi\n  \
             sleep 5\n\
             done\n\
             echo \"healthy: {path} answered\"\n"
        )));
        Value::concat(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The script's text, tokens written as `<token>`.
    fn text_of(e: &stackwright_core::Expr) -> String {
        use stackwright_core::Expr;
        match e {
            Expr::Str(s) => s.clone(),
            Expr::Concat(parts) => parts.iter().map(text_of).collect(),
            _ => "<token>".into(),
        }
    }

    #[test]
    fn literals_are_quoted_for_the_shell() {
        let q = quoted(&Value::from("it's"));
        assert_eq!(q.expr().as_literal_str().as_deref(), Some(r"'it'\''s'"));
    }

    #[test]
    fn the_script_runs_the_image_and_waits_for_health() {
        let env = IndexMap::from([("DEBUG".to_string(), Value::from("false"))]);
        let secrets = IndexMap::new();
        let script = BootScript {
            title: "Demo/App (blue)".into(),
            image: Value::from("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1"),
            port: 8000,
            health_check_path: "/api/health",
            health_timeout_seconds: 150,
            environment: &env,
            secrets: &secrets,
            log_group: Value::from("app-logs"),
            signal_resource: "AppBlueGroup".into(),
        }
        .render();
        let text = text_of(script.expr());
        assert!(text.contains("--restart unless-stopped -p 8000:8000"));
        assert!(text.contains("add_env DEBUG 'false'"));
        assert!(text.contains("deadline=$((SECONDS + 150))"));
        assert!(text.contains("--resource 'AppBlueGroup'"));
        assert!(text.contains("REGION='<token>'"), "{text}");
    }

    /// Runs the script's `secret_template` function under bash with the secret read stubbed
    /// out, so the composition is checked by the shell and Python that run it at boot.
    fn compose(secret_json: &str, template: &str) -> String {
        let env = IndexMap::new();
        let secrets = IndexMap::new();
        let script = BootScript {
            title: "t".into(),
            image: Value::from("i"),
            port: 8000,
            health_check_path: "/",
            health_timeout_seconds: 1,
            environment: &env,
            secrets: &secrets,
            log_group: Value::from("l"),
            signal_resource: "R".into(),
        }
        .render();
        let text = text_of(script.expr());
        let start = text
            .find("secret_template() {")
            .expect("the function is defined");
        let end = start + text[start..].find("\n}\n").expect("it ends") + 3;
        let program = format!(
            "{}\nsecret() {{ printf '%s' \"$SECRET\"; }}\nsecret_template arn '{}'\n",
            &text[start..end],
            template
        );
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(program)
            .env("SECRET", secret_json)
            .output()
            .expect("bash runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .trim_end()
            .to_string()
    }

    #[test]
    fn templates_compose_url_encoded_secret_fields() {
        assert_eq!(
            compose(
                r#"{"username":"demo","password":"p@ss/w:rd%"}"#,
                "postgresql+asyncpg://{username}:{password}@db.internal:5432/demo"
            ),
            "postgresql+asyncpg://demo:p%40ss%2Fw%3Ard%25@db.internal:5432/demo"
        );
        assert_eq!(
            compose("Tok3n+x", "rediss://:{value}@cache.internal:6379/0"),
            "rediss://:Tok3n%2Bx@cache.internal:6379/0"
        );
    }
}
