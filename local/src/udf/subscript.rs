//! Trino's subscript operator, `array[i]`, `map[key]` and `row[i]`, and the lookup it shares
//! with `element_at`. DataFusion answers NULL for a missing key or an index out of range; Trino
//! fails the query (`Key not present in map: bucketName`, `Array subscript must be less than or
//! equal to array length: 5 > 3`), which is why Lake's own examples read a map with
//! `element_at`. A query that fails on Lake fails here too.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, UInt32Array, UInt64Array};
use datafusion::arrow::compute::{cast, take};
use datafusion::arrow::datatypes::{DataType, FieldRef, Int64Type};
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawFieldAccessExpr};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprSchemable, GetFieldAccess, ReturnFieldArgs, ScalarFunctionArgs,
    ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::{exec_err, index, strings};

/// What a lookup answers for a key or position that the value does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Missing {
    /// `element_at`: NULL, and a negative position counts from the end.
    Null,
    /// The subscript operator: the query fails, with Trino's message.
    Fail,
}

/// The value under each row's key (a map, keys compared as text) or at each row's 1-based
/// position (an array). A NULL container or key gives NULL; position 0 fails, as in Trino.
pub(super) fn lookup(container: &ArrayRef, key: &ArrayRef, missing: Missing) -> Result<ArrayRef> {
    match container.data_type() {
        DataType::Map(_, _) => {
            let keys = strings(key)?;
            let map = container.as_map();
            let offsets = map.value_offsets();
            let ks = strings(map.keys())?;
            let mut picks: Vec<Option<u32>> = Vec::with_capacity(map.len());
            for i in 0..map.len() {
                if map.is_null(i) || keys.is_null(i) {
                    picks.push(None);
                    continue;
                }
                let bound = |k: usize| usize::try_from(offsets[k]).unwrap_or_default();
                let wanted = keys.value(i);
                let found =
                    (bound(i)..bound(i + 1)).find(|&j| !ks.is_null(j) && ks.value(j) == wanted);
                if found.is_none() && missing == Missing::Fail {
                    return Err(exec_err(format!("Key not present in map: {wanted}")));
                }
                picks.push(found.map(index).transpose()?);
            }
            Ok(take(
                map.values().as_ref(),
                &UInt32Array::from(picks),
                None,
            )?)
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            let list = cast(
                container,
                &super::as_list("subscript", container.data_type())?,
            )?;
            let list = list.as_list::<i32>();
            let idx = cast(key, &DataType::Int64)?;
            let idx = idx.as_primitive::<Int64Type>();
            let offsets = list.value_offsets();
            let mut picks: Vec<Option<u64>> = Vec::with_capacity(list.len());
            for i in 0..list.len() {
                if list.is_null(i) || idx.is_null(i) {
                    picks.push(None);
                    continue;
                }
                let (start, end) = (i64::from(offsets[i]), i64::from(offsets[i + 1]));
                let k = idx.value(i);
                if k == 0 {
                    return Err(exec_err("SQL array indices start at 1"));
                }
                if missing == Missing::Fail {
                    let length = end - start;
                    if k < 0 {
                        return Err(exec_err(format!("Array subscript is negative: {k}")));
                    }
                    if k > length {
                        return Err(exec_err(format!(
                            "Array subscript must be less than or equal to array length: {k} > {length}"
                        )));
                    }
                }
                // 1-based; for element_at a negative position counts from the end, and beyond
                // either end is NULL.
                let pos = if k > 0 {
                    start.checked_add(k - 1)
                } else {
                    end.checked_add(k)
                };
                picks.push(
                    pos.filter(|p| *p >= start && *p < end)
                        .and_then(|p| u64::try_from(p).ok()),
                );
            }
            Ok(take(list.values(), &UInt64Array::from(picks), None)?)
        }
        other => Err(exec_err(format!("expected a map or an array, got {other}"))),
    }
}

/// The name of the subscript operator's function, `trino_subscript(container, key)`; no
/// statement can call it (the registry refuses names Trino lacks), only [`Subscripts`] plans it.
const SUBSCRIPT: &str = "trino_subscript";

/// `container[key]` on an array or a map, as Trino's subscript operator answers it.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Subscript {
    signature: Signature,
}

impl ScalarUDFImpl for Subscript {
    fn name(&self) -> &str {
        SUBSCRIPT
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The key as the map's key type (`MAP(ARRAY[DOUBLE '1'], ...)[1]` finds `1.0`), a
    /// position as a bigint.
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let mut out = arg_types.to_vec();
        let key = match arg_types.first() {
            Some(DataType::Map(entries, _)) => match entries.data_type() {
                DataType::Struct(fields) if fields.len() == 2 => fields[0].data_type().clone(),
                _ => return Ok(out),
            },
            Some(DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)) => {
                DataType::Int64
            }
            _ => return Ok(out),
        };
        if let Some(k) = out.get_mut(1) {
            *k = key;
        }
        Ok(out)
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Err(DataFusionError::Internal(format!(
            "{SUBSCRIPT}'s type comes from its arguments"
        )))
    }

    /// The element's or value's own field, so its type and marks (a `json` value) carry over.
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let inner = match args.arg_fields.first().map(|f| f.data_type()) {
            Some(DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)) => {
                f.as_ref().clone()
            }
            Some(DataType::Map(entries, _)) => match entries.data_type() {
                DataType::Struct(fields) if fields.len() == 2 => fields[1].as_ref().clone(),
                other => {
                    return Err(DataFusionError::Plan(format!(
                        "a map's entries are a key and a value, not {other}"
                    )))
                }
            },
            other => {
                return Err(DataFusionError::Plan(format!(
                    "a subscript needs an array or a map, not {other:?}"
                )))
            }
        };
        Ok(Arc::new(inner.with_name(self.name()).with_nullable(true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [container, key] = arrays.as_slice() else {
            return Err(exec_err(format!("{SUBSCRIPT} takes a container and a key")));
        };
        let out = lookup(container, key, Missing::Fail)?;
        // One row in, one row out: a call on constants answers a constant.
        if args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)))
        {
            return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
        }
        Ok(ColumnarValue::Array(out))
    }
}

/// The subscript operator's function.
fn udf() -> Arc<ScalarUDF> {
    Arc::new(ScalarUDF::new_from_impl(Subscript {
        signature: Signature::user_defined(Volatility::Immutable),
    }))
}

/// Plans a statement's subscripts as Trino's: on an array or a map, [`SUBSCRIPT`]; on a row,
/// its field by a constant 1-based position (`ROW(1, 'a')[2]`), refused as Trino's analyzer
/// refuses it otherwise. A struct's field by name (`x['field']`, which the service writes for
/// Trino's `x.field`) is left to DataFusion.
#[derive(Debug)]
pub struct Subscripts;

impl ExprPlanner for Subscripts {
    fn plan_field_access(
        &self,
        expr: RawFieldAccessExpr,
        schema: &DFSchema,
    ) -> Result<PlannerResult<RawFieldAccessExpr>> {
        let RawFieldAccessExpr { expr, field_access } = expr;
        // A base this typing cannot type yet is left to DataFusion's own planner.
        let base_type = expr.get_type(schema).ok();
        let key = match (field_access, base_type) {
            (GetFieldAccess::NamedStructField { name }, Some(DataType::Map(..))) => {
                Expr::Literal(name, None)
            }
            (
                GetFieldAccess::ListIndex { key },
                Some(
                    DataType::Map(..)
                    | DataType::List(_)
                    | DataType::LargeList(_)
                    | DataType::FixedSizeList(..),
                ),
            ) => *key,
            (GetFieldAccess::ListIndex { key }, Some(DataType::Struct(fields))) => {
                let name = row_field(&key, &fields)?;
                return Ok(PlannerResult::Planned(
                    datafusion::functions::core::expr_fn::get_field(expr, name),
                ));
            }
            (field_access, _) => {
                return Ok(PlannerResult::Original(RawFieldAccessExpr {
                    expr,
                    field_access,
                }))
            }
        };
        Ok(PlannerResult::Planned(Expr::ScalarFunction(
            ScalarFunction::new_udf(udf(), vec![expr, key]),
        )))
    }
}

/// The name of the row field that `row[key]` reads: `key` must be a constant integer from 1 to
/// the number of fields (Trino's analyzer's rules and words).
fn row_field(key: &Expr, fields: &datafusion::arrow::datatypes::Fields) -> Result<String> {
    let n: i64 = match key {
        Expr::Literal(v, _) => integer(v),
        Expr::Negative(inner) => match inner.as_ref() {
            Expr::Literal(v, _) => integer(v).and_then(i64::checked_neg),
            _ => None,
        },
        _ => None,
    }
    .ok_or_else(|| {
        DataFusionError::Plan("Subscript expression on ROW requires a constant index".into())
    })?;
    if n <= 0 {
        return Err(DataFusionError::Plan(format!(
            "Invalid subscript index: {n}. ROW indices start at 1"
        )));
    }
    usize::try_from(n - 1)
        .ok()
        .and_then(|i| fields.get(i))
        .map(|f| f.name().clone())
        .ok_or_else(|| {
            DataFusionError::Plan(format!(
                "Subscript index out of bounds: {n}, max value is {}",
                fields.len()
            ))
        })
}

/// An integer constant's value.
fn integer(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::Int8(Some(n)) => Some(i64::from(*n)),
        ScalarValue::Int16(Some(n)) => Some(i64::from(*n)),
        ScalarValue::Int32(Some(n)) => Some(i64::from(*n)),
        ScalarValue::Int64(Some(n)) => Some(*n),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, ListArray, MapBuilder, StringBuilder};
    use datafusion::arrow::datatypes::Int32Type;

    fn ints(v: &[Option<i64>]) -> ArrayRef {
        Arc::new(Int64Array::from(v.to_vec()))
    }

    #[test]
    fn arrays_fail_where_trino_fails_and_element_at_answers_null() {
        let a: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1), Some(2), Some(3)]),
            None,
        ]));
        let got = lookup(&a, &ints(&[Some(3), Some(9)]), Missing::Fail).unwrap();
        assert_eq!(
            got.as_primitive::<Int32Type>().iter().collect::<Vec<_>>(),
            [Some(3), None]
        );
        for (k, msg) in [
            (
                5,
                "Array subscript must be less than or equal to array length: 5 > 3",
            ),
            (-1, "Array subscript is negative: -1"),
            (0, "SQL array indices start at 1"),
        ] {
            let err = lookup(&a, &ints(&[Some(k), None]), Missing::Fail).unwrap_err();
            assert!(err.to_string().contains(msg), "{err}");
        }
        let got = lookup(&a, &ints(&[Some(-1), Some(1)]), Missing::Null).unwrap();
        assert_eq!(
            got.as_primitive::<Int32Type>().iter().collect::<Vec<_>>(),
            [Some(3), None]
        );
        let got = lookup(&a, &ints(&[Some(5), Some(1)]), Missing::Null).unwrap();
        assert_eq!(
            got.as_primitive::<Int32Type>().iter().collect::<Vec<_>>(),
            [None, None]
        );
    }

    #[test]
    fn maps_fail_on_a_missing_key_naming_it() {
        let mut b = MapBuilder::new(None, StringBuilder::new(), StringBuilder::new());
        b.keys().append_value("a");
        b.values().append_value("x");
        b.append(true).unwrap();
        b.append(false).unwrap();
        let m: ArrayRef = Arc::new(b.finish());
        let key = |k: &str| -> ArrayRef {
            Arc::new(datafusion::arrow::array::StringArray::from(vec![k, k]))
        };
        let got = lookup(&m, &key("a"), Missing::Fail).unwrap();
        assert_eq!(
            got.as_string::<i32>().iter().collect::<Vec<_>>(),
            [Some("x"), None]
        );
        let err = lookup(&m, &key("b"), Missing::Fail).unwrap_err();
        assert!(
            err.to_string().contains("Key not present in map: b"),
            "{err}"
        );
        let got = lookup(&m, &key("b"), Missing::Null).unwrap();
        assert_eq!(got.null_count(), 2);
    }

    #[test]
    fn row_positions_follow_trinos_analyzer() {
        let fields: datafusion::arrow::datatypes::Fields = vec![
            datafusion::arrow::datatypes::Field::new("c0", DataType::Int64, true),
            datafusion::arrow::datatypes::Field::new("c1", DataType::Utf8, true),
        ]
        .into();
        let lit = |n: i64| Expr::Literal(ScalarValue::Int64(Some(n)), None);
        assert_eq!(row_field(&lit(2), &fields).unwrap(), "c1");
        let msg = |e: Expr| row_field(&e, &fields).unwrap_err().to_string();
        assert!(msg(lit(0)).contains("Invalid subscript index: 0. ROW indices start at 1"));
        assert!(msg(Expr::Negative(Box::new(lit(1))))
            .contains("Invalid subscript index: -1. ROW indices start at 1"));
        assert!(msg(lit(5)).contains("Subscript index out of bounds: 5, max value is 2"));
        assert!(msg(Expr::Column("x".into()))
            .contains("Subscript expression on ROW requires a constant index"));
    }
}
