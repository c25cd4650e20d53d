//! How deep a statement's expressions nest. DataFusion clones, plans, drops and evaluates an
//! expression tree by recursion, so a long chain such as `a OR b OR c ...` (which parses into
//! a tree as deep as it is long) could overflow a thread's stack and abort the whole service.
//! Long chains of `AND` and `OR` (associative, and flat lists of terms in Trino's own tree) are
//! rebuilt as balanced trees (1,000 terms nest 10 deep); a statement with a chain of more than
//! [`MAX_CHAIN`] terms ([`MAX_CONJUNCTS`] for `AND`), or still nesting deeper than
//! [`MAX_DEPTH`], is refused as Trino refuses one its analyzer cannot hold. Statements are planned and run on threads whose stack holds
//! what is let through ([`crate::jobs::query_runtime`]).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, Query, Visit, VisitMut, Visitor, VisitorMut,
};

/// The deepest expression nesting a statement may have after balancing (a chain of `+` or
/// `||`, which are not balanced: `||` appends to an array, so its order of evaluation
/// matters).
pub const MAX_DEPTH: usize = 1_000;

/// The most terms one `OR` chain may have.
pub const MAX_CHAIN: usize = 10_000;

/// The most terms one `AND` chain may have: DataFusion's filter push-down splits a condition
/// into its conjuncts and rebuilds them left-deep, whatever their shape here, and then works on
/// them in time growing faster than their number (10,000 took minutes). Trino's analyzer
/// refused 1,000 (`SELECT 1 = 1 AND 1 = 1 ...`) as too large.
pub const MAX_CONJUNCTS: usize = 1_000;

/// Trino's message for a statement too large for its analyzer (STACK_OVERFLOW).
pub const TOO_LARGE: &str = "statement is too large (stack overflow during analysis)";

/// Chains shorter than this are left as written.
const LONG_CHAIN: usize = 16;

/// Rebuilds every long chain of `AND` or `OR` in `query` as a balanced tree (each half in
/// parentheses, so the rendered text parses back the same way): whether any was, or `Err`
/// when a chain has more than [`MAX_CHAIN`] terms ([`MAX_CONJUNCTS`] for `AND`).
pub fn balance(query: &mut Query) -> Result<bool, TooLarge> {
    struct Balance(bool, bool);
    impl VisitorMut for Balance {
        type Break = ();
        // Before the children: a chain is rebuilt from its top, and the visit then descends
        // into the balanced tree, never the deep one.
        fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            let Expr::BinaryOp { op, .. } = e else {
                return ControlFlow::Continue(());
            };
            if !matches!(op, BinaryOperator::And | BinaryOperator::Or) {
                return ControlFlow::Continue(());
            }
            let op = op.clone();
            let terms = chain_length(e, &op);
            let most = match op {
                BinaryOperator::And => MAX_CONJUNCTS,
                _ => MAX_CHAIN,
            };
            if terms > most {
                self.1 = true;
                return ControlFlow::Break(());
            }
            if terms >= LONG_CHAIN {
                let taken =
                    std::mem::replace(e, Expr::value(datafusion::sql::sqlparser::ast::Value::Null));
                *e = balanced(flatten(taken, &op), &op);
                self.0 = true;
            }
            ControlFlow::Continue(())
        }
    }
    let mut b = Balance(false, false);
    let _ = VisitMut::visit(query, &mut b);
    if b.1 {
        return Err(TooLarge);
    }
    Ok(b.0)
}

/// A statement too large to analyse (Trino's STACK_OVERFLOW).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{TOO_LARGE}")]
pub struct TooLarge;

/// How many terms the left-deep chain of `op` at `e` has (iteratively: it may be long).
fn chain_length(mut e: &Expr, op: &BinaryOperator) -> usize {
    let mut n = 1usize;
    while let Expr::BinaryOp { left, op: o, .. } = e {
        if o != op {
            break;
        }
        n = n.saturating_add(1);
        e = left;
    }
    n
}

/// The terms of the left-deep chain of `op` at `e`, in order (iteratively).
fn flatten(mut e: Expr, op: &BinaryOperator) -> Vec<Expr> {
    let mut rights = Vec::new();
    loop {
        match e {
            Expr::BinaryOp { left, op: o, right } if &o == op => {
                rights.push(*right);
                e = *left;
            }
            other => {
                rights.push(other);
                break;
            }
        }
    }
    rights.reverse();
    rights
}

/// `terms` joined by `op` as a balanced tree, each side of more than one term in parentheses.
fn balanced(mut terms: Vec<Expr>, op: &BinaryOperator) -> Expr {
    if terms.len() <= 1 {
        return terms
            .pop()
            .unwrap_or_else(|| Expr::value(datafusion::sql::sqlparser::ast::Value::Null));
    }
    let right_terms = terms.split_off(terms.len() / 2);
    let side = |t: Vec<Expr>| {
        let many = t.len() > 1;
        let e = balanced(t, op);
        if many {
            Expr::Nested(Box::new(e))
        } else {
            e
        }
    };
    Expr::BinaryOp {
        left: Box::new(side(terms)),
        op: op.clone(),
        right: Box::new(side(right_terms)),
    }
}

/// Stack for reading a statement, per byte of it: parsing, and dropping, a chain recurses once
/// per level, and Athena takes statements of 262,144 bytes (`1+1+...` nests 131,072 deep).
const STACK_PER_BYTE: usize = 2 << 10;

/// Runs `f`, which parses or walks `sql` as written (of any depth), on a stack of its own
/// sized for it, so that no statement can overflow the caller's thread and abort the service.
pub fn on_statement_stack<R>(sql: &str, f: impl FnOnce() -> R) -> R {
    stacker::grow(sql.len().saturating_mul(STACK_PER_BYTE).max(8 << 20), f)
}

/// How deep `query`'s expressions nest.
pub fn depth(query: &Query) -> usize {
    struct Depth {
        now: usize,
        max: usize,
    }
    impl Visitor for Depth {
        type Break = ();
        fn pre_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
            self.now = self.now.saturating_add(1);
            self.max = self.max.max(self.now);
            ControlFlow::Continue(())
        }
        fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
            self.now = self.now.saturating_sub(1);
            ControlFlow::Continue(())
        }
    }
    let mut d = Depth { now: 0, max: 0 };
    let _ = query.visit(&mut d);
    d.max
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::ast::Statement;
    use datafusion::sql::sqlparser::parser::Parser;

    fn query(sql: &str) -> Box<Query> {
        match Parser::parse_sql(&crate::dialect::LakeDialect, sql)
            .expect("parses")
            .pop()
        {
            Some(Statement::Query(q)) => q,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn long_chains_are_balanced_and_render_to_the_same_terms() {
        let terms: Vec<String> = (0..1000).map(|i| format!("x = {i}")).collect();
        let sql = format!(
            "SELECT a FROM t WHERE {} AND y || 'a' || 'b' = 'c'",
            terms.join(" OR ")
        );
        let mut q = query(&sql);
        assert!(depth(&q) > 1000);
        assert_eq!(balance(&mut q), Ok(true));
        assert!(depth(&q) < 40, "{}", depth(&q));
        // The rendered text parses back as balanced, with every term in order.
        let text = q.to_string();
        assert!(depth(&query(&text)) < 40);
        let positions: Vec<usize> = (0..1000)
            .map(|i| {
                text.find(&format!("x = {i})"))
                    .or_else(|| text.find(&format!("x = {i} ")))
                    .expect("term")
            })
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
        // A statement deeper than any thread's stack is read, measured and dropped on a
        // stack of its own.
        let deep = format!("SELECT a FROM t WHERE x{}", "+1".repeat(131_072));
        assert!(on_statement_stack(&deep, || depth(&query(&deep))) > 131_072);
        // Short chains stay as written.
        let mut short = query("SELECT a FROM t WHERE a OR b OR c");
        assert_eq!(balance(&mut short), Ok(false));
        // `||` keeps its order (it appends to arrays); a chain past the limit is refused.
        let mut concat = query(&format!("SELECT a{} FROM t", " || 'x'".repeat(100)));
        assert_eq!(balance(&mut concat), Ok(false));
        let long = vec!["a = 1"; MAX_CONJUNCTS + 1].join(" AND ");
        assert_eq!(
            balance(&mut query(&format!("SELECT a FROM t WHERE {long}"))),
            Err(TooLarge)
        );
        assert_eq!(short.to_string(), "SELECT a FROM t WHERE a OR b OR c");
    }
}
