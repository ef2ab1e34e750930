//! Values as Python shows them: DRF's error messages quote what the client sent as Python
//! printed it after `json.loads`, and clients match on those messages.

use serde_json::Value;

/// A JSON value as Python's `str()` shows what `json.loads` made of it: strings bare at the top
/// level and quoted inside containers, `True`/`False`/`None`, dicts with `': '`.
pub fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => python_repr(other),
    }
}

fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => python_quoted(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", python_quoted(k), python_repr(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
    }
}

/// Python's `repr()` of a string: single quotes unless it holds one and no double quote.
fn python_quoted(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_print_as_python_prints_them() {
        assert_eq!(python_str(&json!("it's")), "it's");
        assert_eq!(
            python_str(&json!({"a": ["x'y", "tab\t", null, true, 2.5]})),
            "{'a': [\"x'y\", 'tab\\t', None, True, 2.5]}"
        );
        assert_eq!(python_str(&json!(["both ' and \""])), "['both \\' and \"']");
    }
}
