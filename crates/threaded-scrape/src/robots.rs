//! A small robots.txt parser (the parts of RFC 9309 a polite crawler needs).
//!
//! The file is a list of groups. A group starts with one or more `User-agent:` lines and holds
//! `Allow:` and `Disallow:` rules. We obey the group whose user-agent is a prefix of our product
//! token (`threaded-scrape`, or the first word of `--user-agent`), case-insensitively, or else
//! the `*` group; several groups for the
//! same agent are merged. A path is allowed unless a rule matches it: the longest matching rule
//! wins, and `Allow` wins a tie. Rules may use `*` (any characters) and a final `$` (end of the
//! path). Other lines (`Sitemap:`, `Crawl-delay:`, comments) are ignored.

/// The product token of a user agent, which robots.txt groups are matched against: its first
/// word, up to a `/` (`threaded-scrape/0.1.0` -> `threaded-scrape`, `MyBot/2 (+url)` -> `MyBot`).
pub fn product_token(user_agent: &str) -> String {
    user_agent
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase()
}

/// The rules one host gave us.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Robots {
    /// `(allow, pattern)` pairs from the group that applies to us.
    rules: Vec<(bool, String)>,
    /// Everything is disallowed (robots.txt answered 5xx: RFC 9309 says assume the worst).
    disallow_all: bool,
}

impl Robots {
    /// No rules: every path is allowed (no robots.txt, a 4xx, or `--no-robots`).
    pub fn allow_all() -> Robots {
        Robots::default()
    }

    /// Every path is disallowed.
    pub fn disallow_all() -> Robots {
        Robots {
            rules: Vec::new(),
            disallow_all: true,
        }
    }

    /// Parses a robots.txt body for the agent whose product token is `token` (lower case).
    pub fn parse(text: &str, token: &str) -> Robots {
        let mut ours = Vec::new();
        let mut star = Vec::new();
        let mut found_ours = false;
        // The user agents of the group being read, and whether its rules have started (a
        // `User-agent:` line after a rule starts a new group).
        let mut agents: Vec<String> = Vec::new();
        let mut in_rules = false;
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if in_rules {
                        agents.clear();
                        in_rules = false;
                    }
                    agents.push(value.to_ascii_lowercase());
                }
                "allow" | "disallow" => {
                    in_rules = true;
                    // An empty `Disallow:` allows everything: it adds no rule.
                    if value.is_empty() {
                        continue;
                    }
                    let rule = (key == "allow", value.to_string());
                    if agents.iter().any(|a| is_our_agent(a, token)) {
                        found_ours = true;
                        ours.push(rule);
                    } else if agents.iter().any(|a| a == "*") {
                        star.push(rule);
                    }
                }
                _ => {}
            }
        }
        // A group naming us wins over `*`, even if it has fewer rules.
        let rules = if found_ours { ours } else { star };
        Robots {
            rules,
            disallow_all: false,
        }
    }

    /// True when the crawl may fetch `path_and_query` (e.g. `/a/b?c=d`).
    pub fn allows(&self, path_and_query: &str) -> bool {
        if self.disallow_all {
            return false;
        }
        // The robots.txt file itself is always allowed.
        if path_and_query == "/robots.txt" {
            return true;
        }
        let mut best: Option<(usize, bool)> = None;
        for (allow, pattern) in &self.rules {
            if matches(pattern, path_and_query) {
                let better = match best {
                    None => true,
                    Some((len, best_allow)) => {
                        pattern.len() > len || (pattern.len() == len && *allow && !best_allow)
                    }
                };
                if better {
                    best = Some((pattern.len(), *allow));
                }
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }
}

fn is_our_agent(agent: &str, token: &str) -> bool {
    agent != "*" && !agent.is_empty() && !token.is_empty() && token.starts_with(agent)
}

/// Does the robots.txt `pattern` match the start of `path`? `*` matches any run of characters
/// and a final `$` anchors the pattern at the end of the path.
fn matches(pattern: &str, path: &str) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix('$') {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let parts: Vec<&str> = pattern.split('*').collect();
    // The first piece must match at the very start; each later piece anywhere after the
    // previous one. Taking the earliest match for each piece is enough for a prefix match; for
    // an anchored pattern the last piece must end the path.
    let Some(rest) = path.strip_prefix(parts[0]) else {
        return false;
    };
    if parts.len() == 1 {
        return !anchored || rest.is_empty();
    }
    let mut rest = rest;
    let last = parts.len() - 1;
    for (i, piece) in parts.iter().enumerate().skip(1) {
        if i == last && anchored {
            return rest.ends_with(piece);
        }
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "threaded-scrape";

    #[test]
    fn user_agent_picks_the_group() {
        assert_eq!(product_token("MyBot/2.1 (+http://x)"), "mybot");
        assert_eq!(product_token(crate::fetch::USER_AGENT), T);
        let text = "User-agent: *\nDisallow: /\n\nUser-agent: mybot\nDisallow: /no\n";
        assert!(Robots::parse(text, "mybot").allows("/yes"));
        assert!(!Robots::parse(text, T).allows("/yes"));
    }

    /// Directory rules match directory URLs: the regression of the dropped trailing slash.
    #[test]
    fn directory_rules() {
        let r = Robots::parse(
            "User-agent: *\nDisallow: /private/\nAllow: /private/open/\nDisallow: /blocked/\n",
            T,
        );
        assert!(r.allows("/private/open/"));
        assert!(r.allows("/private/open/page.html"));
        assert!(!r.allows("/private/"));
        assert!(!r.allows("/blocked/"));
        assert!(r.allows("/blocked"));
    }

    #[test]
    fn star_group_disallow_and_allow() {
        let r = Robots::parse(
            "# comment\nUser-agent: *\nDisallow: /private/\nAllow: /private/open\n\nUser-agent: other\nDisallow: /\n",
            T,
        );
        assert!(r.allows("/"));
        assert!(r.allows("/p/1"));
        assert!(!r.allows("/private/secret"));
        assert!(r.allows("/private/open"));
        assert!(r.allows("/robots.txt"));
    }

    #[test]
    fn our_group_wins_over_star() {
        let r = Robots::parse(
            "User-agent: *\nDisallow: /\n\nUser-agent: Threaded-Scrape\nDisallow: /no\n",
            T,
        );
        assert!(r.allows("/yes"));
        assert!(!r.allows("/no/x"));
    }

    #[test]
    fn grouped_agents_share_rules() {
        let r = Robots::parse(
            "User-agent: a\nUser-agent: *\nDisallow: /x\nUser-agent: b\nDisallow: /y\n",
            T,
        );
        assert!(!r.allows("/x"));
        assert!(r.allows("/y"));
    }

    #[test]
    fn empty_disallow_allows_all() {
        let r = Robots::parse("User-agent: *\nDisallow:\n", T);
        assert!(r.allows("/anything"));
    }

    #[test]
    fn wildcards_and_anchor() {
        let r = Robots::parse(
            "User-agent: *\nDisallow: /*.pdf$\nDisallow: /search*q=\n",
            T,
        );
        assert!(!r.allows("/docs/a.pdf"));
        assert!(r.allows("/docs/a.pdf.html"));
        assert!(!r.allows("/search?x=1&q=rust"));
        assert!(r.allows("/search?x=1"));
    }

    #[test]
    fn longest_match_wins_allow_on_tie() {
        let r = Robots::parse(
            "User-agent: *\nDisallow: /a\nAllow: /a/b\nAllow: /c\nDisallow: /c\n",
            T,
        );
        assert!(!r.allows("/a/x"));
        assert!(r.allows("/a/b/c"));
        assert!(r.allows("/c"));
    }

    #[test]
    fn disallow_all_blocks_everything() {
        assert!(!Robots::disallow_all().allows("/"));
        assert!(Robots::allow_all().allows("/private/x"));
    }
}
