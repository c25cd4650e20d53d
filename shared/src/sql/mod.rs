//! Check SQL: one definition per check, written in CloudTrail Lake's dialect with placeholders,
//! parsed once into a syntax tree and rendered for an engine by binding values into the tree
//! (values never become SQL text of their own) and, for Athena, rewriting Lake's forms into
//! the Athena CloudTrail table's.

pub mod athena;
pub mod template;

pub use template::{Source, Template, TemplateError};

use sqlparser::ast::{Expr, Ident};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

/// A SQL string literal: single quotes doubled, which is the only escape Trino has.
pub fn quote_literal(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// Parses one expression that trailwatch wrote itself (never from user values).
fn expr(text: &str) -> Result<Expr, TemplateError> {
    Parser::new(&GenericDialect {})
        .try_with_sql(text)
        .and_then(|mut p| p.parse_expr())
        .map_err(|e| TemplateError::Syntax(format!("internal rewrite {text:?}: {e}")))
}

/// The column a plain or qualified identifier names, lower-cased (`t.eventTime` -> `eventtime`).
fn column_name(e: &Expr) -> Option<String> {
    match e {
        Expr::Identifier(Ident { value, .. }) => Some(value.to_ascii_lowercase()),
        Expr::CompoundIdentifier(parts) if parts.len() == 2 => {
            Some(parts[1].value.to_ascii_lowercase())
        }
        _ => None,
    }
}
