//! How deep a statement's expressions nest. DataFusion clones, plans, drops and evaluates an
//! expression tree by recursion, so a long chain such as `a OR b OR c ...` (which parses into
//! a tree as deep as it is long) could overflow a thread's stack and abort the whole service.
//! Long chains of an associative operator (`AND`, `OR`, `||`) are rebuilt as balanced trees
//! (1,000 terms nest 10 deep), and a statement still nesting deeper than [`MAX_DEPTH`] is
//! refused as Trino refuses one its analyzer cannot hold.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, Query, Visit, VisitMut, Visitor, VisitorMut,
};

/// The deepest expression nesting a statement may have (after balancing). A debug build's
/// 2 MiB thread stack held chains of 200 and overflowed at 300.
pub const MAX_DEPTH: usize = 100;

/// Trino's message for a statement too large for its analyzer (STACK_OVERFLOW).
pub const TOO_LARGE: &str = "statement is too large (stack overflow during analysis)";

/// Chains shorter than this are left as written.
const LONG_CHAIN: usize = 16;

/// Rebuilds every long chain of `AND`, `OR` or `||` in `query` as a balanced tree (each
/// half in parentheses, so the rendered text parses back the same way); whether any was.
pub fn balance(query: &mut Query) -> bool {
    struct Balance(bool);
    impl VisitorMut for Balance {
        type Break = ();
        // Before the children: a chain is rebuilt from its top, and the visit then descends
        // into the balanced tree, never the deep one.
        fn pre_visit_expr(&mut self, e: &mut Expr) -> ControlFlow<()> {
            let Expr::BinaryOp { op, .. } = e else {
                return ControlFlow::Continue(());
            };
            if !matches!(
                op,
                BinaryOperator::And | BinaryOperator::Or | BinaryOperator::StringConcat
            ) {
                return ControlFlow::Continue(());
            }
            let op = op.clone();
            let terms = chain_length(e, &op);
            if terms >= LONG_CHAIN {
                let taken =
                    std::mem::replace(e, Expr::value(datafusion::sql::sqlparser::ast::Value::Null));
                *e = balanced(flatten(taken, &op), &op);
                self.0 = true;
            }
            ControlFlow::Continue(())
        }
    }
    let mut b = Balance(false);
    let _ = VisitMut::visit(query, &mut b);
    b.0
}

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

/// Stack for reading a statement: parsing, and dropping, a chain recurses once per level, and
/// Athena takes statements of 262,144 bytes (`1+1+...` nests 131,072 deep). Reserved, not
/// used: pages are touched only as deep as a statement goes.
const STATEMENT_STACK: usize = 512 << 20;

/// Runs `f` (which parses or walks a statement as written, of any depth) on a stack of its
/// own, so that no statement can overflow the caller's thread and abort the service.
pub fn on_statement_stack<R>(f: impl FnOnce() -> R) -> R {
    stacker::grow(STATEMENT_STACK, f)
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
        assert!(balance(&mut q));
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
        assert!(on_statement_stack(|| depth(&query(&deep))) > 131_072);
        // Short chains stay as written.
        let mut short = query("SELECT a FROM t WHERE a OR b OR c");
        assert!(!balance(&mut short));
        assert_eq!(short.to_string(), "SELECT a FROM t WHERE a OR b OR c");
    }
}
