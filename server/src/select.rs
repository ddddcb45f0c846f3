//! Label and field selectors as the API server applies them to a list.

use serde_json::Value;

/// Equality- and set-based label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`,
/// `a in (x,y)`, `a notin (x,y)`, comma-separated.
pub fn labels_match(selector: &str, labels: &Value) -> bool {
    split_requirements(selector).iter().all(|req| {
        let req = req.trim();
        let label = |k: &str| labels[k.trim()].as_str();
        if let Some((k, set)) = req.split_once(" notin ") {
            let set = parse_set(set);
            return label(k).is_none_or(|v| !set.contains(&v));
        }
        if let Some((k, set)) = req.split_once(" in ") {
            let set = parse_set(set);
            return label(k).is_some_and(|v| set.contains(&v));
        }
        if let Some((k, v)) = req.split_once("!=") {
            return label(k) != Some(v.trim());
        }
        if let Some((k, v)) = req.split_once("==").or_else(|| req.split_once('=')) {
            return label(k) == Some(v.trim());
        }
        if let Some(k) = req.strip_prefix('!') {
            return label(k).is_none();
        }
        label(req).is_some()
    })
}

fn parse_set(set: &str) -> Vec<&str> {
    set.trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(',')
        .map(str::trim)
        .collect()
}

/// Splits on commas that are not inside parentheses.
fn split_requirements(selector: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in selector.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&selector[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&selector[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// Field selectors `path=value`, `path==value`, `path!=value`, comma-separated, on any
/// dotted path (`metadata.name`, `spec.nodeName`, `status.phase`, `involvedObject.uid`).
/// A missing field compares as the empty string, as the API server does.
pub fn fields_match(selector: &str, item: &Value) -> bool {
    selector.split(',').filter(|r| !r.is_empty()).all(|req| {
        let (field, want, negate) = if let Some((f, v)) = req.split_once("!=") {
            (f, v, true)
        } else if let Some((f, v)) = req.split_once("==").or_else(|| req.split_once('=')) {
            (f, v, false)
        } else {
            return false;
        };
        let found = field.trim().split('.').fold(item, |v, key| &v[key]);
        let value = match found {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        (value == want.trim()) != negate
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_based_label_selectors() {
        let labels = json!({"app": "web", "tier": "front"});
        assert!(labels_match("app in (web,api),tier", &labels));
        assert!(!labels_match("app notin (web)", &labels));
        assert!(labels_match("!missing,app!=api", &labels));
        assert!(!labels_match("app=api", &labels));
    }

    #[test]
    fn event_field_selector_as_kubectl_describe_sends_it() {
        let ev = json!({"involvedObject": {"kind": "Pod", "name": "web-1", "namespace": "shop", "uid": "u-1"}});
        assert!(fields_match(
            "involvedObject.name=web-1,involvedObject.namespace=shop,involvedObject.uid=u-1",
            &ev
        ));
        assert!(!fields_match("involvedObject.uid=u-2", &ev));
        assert!(fields_match("involvedObject.fieldPath=", &ev));
    }
}
