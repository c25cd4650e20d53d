//! Trino's aggregate functions that DataFusion lacks or names otherwise: `count_if`,
//! `min_by`/`max_by`, the map aggregates `map_agg`, `histogram`, `multimap_agg`,
//! `approx_most_frequent` and `map_union`, and
//! `arbitrary`, `every`, `variance` and the `bitwise_*_agg` as DataFusion's own; registers
//! `checksum`, `numeric_histogram`, `approx_percentile`, `skewness` and `kurtosis` (in their own
//! modules). Each of the service's aggregates, and DataFusion's statistics that ignore or refuse
//! DISTINCT (`stddev`, `corr`, `covar_*`, `regr_*`), goes through [`super::distinct`], which
//! counts each distinct row of arguments once beside other aggregates.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::error::Result;
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    create_udaf, Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

/// Registers the aggregates (each through [`super::distinct::wrap`]), DataFusion's statistics
/// wrapped the same way, and Trino's names for DataFusion's equivalents.
pub fn register(ctx: &SessionContext) {
    // DataFusion hands DISTINCT beside other aggregates to the function itself; the wrapper
    // gives all of the service's one correct DISTINCT.
    let register = |f: AggregateUDF| ctx.register_udaf(super::distinct::wrap(f));
    register(create_udaf(
        "count_if",
        vec![DataType::Boolean],
        Arc::new(DataType::Int64),
        Volatility::Immutable,
        Arc::new(|_| Ok(Box::new(CountIf::default()))),
        Arc::new(vec![DataType::Int64]),
    ));
    for largest in [false, true] {
        register(AggregateUDF::new_from_impl(By::new(largest)));
    }
    for kind in [
        Kind::Map,
        Kind::Histogram,
        Kind::Multimap,
        Kind::MostFrequent,
        Kind::Union,
    ] {
        register(AggregateUDF::new_from_impl(MapAgg::new(kind)));
    }
    register(AggregateUDF::new_from_impl(super::checksum::Checksum::new()));
    for moment in [
        super::moments::Moment::Skewness,
        super::moments::Moment::Kurtosis,
    ] {
        register(AggregateUDF::new_from_impl(super::moments::Moments::new(
            moment,
        )));
    }
    register(AggregateUDF::new_from_impl(
        super::numeric_histogram::NumericHistogram::new(),
    ));
    register(AggregateUDF::new_from_impl(
        super::percentile::ApproxPercentile::new(),
    ));
    super::distinct::register(ctx);
    for (theirs, ours) in [
        ("first_value", "arbitrary"),
        ("bool_and", "every"),
        ("var_samp", "variance"),
        ("bit_and", "bitwise_and_agg"),
        ("bit_or", "bitwise_or_agg"),
        ("bit_xor", "bitwise_xor_agg"),
    ] {
        if let Ok(f) = ctx.udaf(theirs) {
            ctx.register_udaf((*f).clone().with_aliases([ours]));
        }
    }
}

/// Trino's `count_if(condition)`: the rows where the condition is true.
#[derive(Debug, Default)]
struct CountIf(i64);

impl Accumulator for CountIf {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let b = cast(&values[0], &DataType::Boolean)?;
        let n = i64::try_from(b.as_boolean().true_count()).unwrap_or(i64::MAX);
        self.0 = self.0.saturating_add(n);
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let counts = cast(&states[0], &DataType::Int64)?;
        for c in counts.as_primitive::<Int64Type>().iter().flatten() {
            self.0 = self.0.saturating_add(c);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Int64(Some(self.0))])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Int64(Some(self.0)))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

/// `min_by(x, y)` / `max_by(x, y)`: the `x` of the row with the least / greatest `y`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct By {
    largest: bool,
    signature: Signature,
}

impl By {
    fn new(largest: bool) -> Self {
        Self {
            largest,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl AggregateUDFImpl for By {
    fn name(&self) -> &str {
        if self.largest {
            "max_by"
        } else {
            "min_by"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(args
            .input_fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                Arc::new(Field::new(
                    format!("{}[{i}]", args.name),
                    f.data_type().clone(),
                    true,
                ))
            })
            .collect())
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let key = args
            .expr_fields
            .get(1)
            .map_or(DataType::Null, |f| f.data_type().clone());
        Ok(Box::new(ByAcc {
            largest: self.largest,
            value: ScalarValue::try_from(args.return_type())?,
            key: ScalarValue::try_from(&key)?,
        }))
    }
}

#[derive(Debug)]
struct ByAcc {
    largest: bool,
    value: ScalarValue,
    /// NULL until a row with a key is seen.
    key: ScalarValue,
}

impl ByAcc {
    fn offer(&mut self, values: &ArrayRef, keys: &ArrayRef) -> Result<()> {
        for i in 0..keys.len() {
            if keys.is_null(i) {
                continue;
            }
            let k = ScalarValue::try_from_array(keys, i)?;
            let better = self.key.is_null()
                || match k.partial_cmp(&self.key) {
                    Some(std::cmp::Ordering::Greater) => self.largest,
                    Some(std::cmp::Ordering::Less) => !self.largest,
                    _ => false,
                };
            if better {
                self.value = ScalarValue::try_from_array(values, i)?;
                self.key = k;
            }
        }
        Ok(())
    }
}

impl Accumulator for ByAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        self.offer(&values[0], &values[1])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.offer(&states[0], &states[1])
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.value.clone(), self.key.clone()])
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(self.value.clone())
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.value.size() + self.key.size()
    }
}

/// Which map an aggregate builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// `map_agg(k, v)`: each key with the value of its first row.
    Map,
    /// `histogram(x)`: each value with the number of rows holding it.
    Histogram,
    /// `multimap_agg(k, v)`: each key with the array of its rows' values.
    Multimap,
    /// `approx_most_frequent(buckets, x, capacity)`: the `buckets` most frequent values with
    /// their counts, counted exactly (an answer Trino's approximation would give at best).
    MostFrequent,
    /// `map_union(m)`: every map's entries, a key taking the value of the first map holding it.
    Union,
}

/// The map aggregates; rows with a NULL key are left out, as in Trino, and no row at all gives
/// NULL.
#[derive(Debug, PartialEq, Eq, Hash)]
struct MapAgg {
    kind: Kind,
    signature: Signature,
}

impl MapAgg {
    fn new(kind: Kind) -> Self {
        let arity = match kind {
            Kind::Histogram | Kind::Union => 1,
            Kind::Map | Kind::Multimap => 2,
            Kind::MostFrequent => 3,
        };
        Self {
            kind,
            signature: Signature::any(arity, Volatility::Immutable),
        }
    }

    /// What the state's second list holds: values, or counts.
    fn value_type(&self, arg_types: &[DataType]) -> DataType {
        match self.kind {
            Kind::Histogram | Kind::MostFrequent => DataType::Int64,
            Kind::Union => Self::map_entries(arg_types).1,
            _ => arg_types.get(1).cloned().unwrap_or(DataType::Null),
        }
    }

    /// The keys' type: the first argument's (`approx_most_frequent`: the second's; `map_union`:
    /// its map's keys').
    fn key_type(&self, arg_types: &[DataType]) -> DataType {
        if self.kind == Kind::Union {
            return Self::map_entries(arg_types).0;
        }
        let at = usize::from(self.kind == Kind::MostFrequent);
        arg_types.get(at).cloned().unwrap_or(DataType::Null)
    }

    /// The key and value types of the map argument (`map_union`).
    fn map_entries(arg_types: &[DataType]) -> (DataType, DataType) {
        arg_types
            .first()
            .and_then(|t| super::map::entries("map_union", t).ok())
            .map_or((DataType::Null, DataType::Null), |(k, v)| {
                (k.data_type().clone(), v.data_type().clone())
            })
    }
}

impl AggregateUDFImpl for MapAgg {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Map => "map_agg",
            Kind::Histogram => "histogram",
            Kind::Multimap => "multimap_agg",
            Kind::MostFrequent => "approx_most_frequent",
            Kind::Union => "map_union",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let key = self.key_type(arg_types);
        let value = self.value_type(arg_types);
        Ok(match self.kind {
            Kind::Multimap => super::map::map_type(&key, &DataType::new_list(value, true)),
            _ => super::map::map_type(&key, &value),
        })
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let types = super::data_types(args.input_fields);
        let key = self.key_type(&types);
        let mut fields = vec![
            Arc::new(Field::new(
                format!("{}[keys]", args.name),
                DataType::new_list(key, true),
                true,
            )),
            Arc::new(Field::new(
                format!("{}[values]", args.name),
                DataType::new_list(self.value_type(&types), true),
                true,
            )),
        ];
        if self.kind == Kind::MostFrequent {
            fields.push(Arc::new(Field::new(
                format!("{}[buckets]", args.name),
                DataType::Int64,
                true,
            )));
        }
        Ok(fields)
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let types = super::data_types(args.expr_fields);
        Ok(Box::new(MapAcc {
            kind: self.kind,
            key_type: self.key_type(&types),
            value_type: self.value_type(&types),
            buckets: None,
            out: args.return_type().clone(),
            slot: std::collections::HashMap::new(),
            keys: Vec::new(),
            values: Vec::new(),
        }))
    }
}

#[derive(Debug)]
struct MapAcc {
    kind: Kind,
    key_type: DataType,
    value_type: DataType,
    out: DataType,
    /// Each key's position in `keys` and `values`.
    slot: std::collections::HashMap<ScalarValue, usize>,
    keys: Vec<ScalarValue>,
    /// Per key: its value (map_agg), its count (histogram, approx_most_frequent) or its values
    /// (multimap_agg).
    values: Vec<Vec<ScalarValue>>,
    /// How many of the most frequent keys approx_most_frequent keeps.
    buckets: Option<i64>,
}

impl MapAcc {
    /// Takes one key and value (for `histogram`, a count).
    fn offer(&mut self, k: ScalarValue, v: ScalarValue) -> Result<()> {
        if k.is_null() {
            return Ok(());
        }
        let at = if let Some(&at) = self.slot.get(&k) {
            at
        } else {
            self.slot.insert(k.clone(), self.keys.len());
            self.keys.push(k);
            self.values.push(Vec::new());
            self.values.len() - 1
        };
        let held = &mut self.values[at];
        match self.kind {
            Kind::Map | Kind::Union if held.is_empty() => held.push(v),
            Kind::Map | Kind::Union => {}
            Kind::Histogram | Kind::MostFrequent => {
                let add = match v {
                    ScalarValue::Int64(Some(n)) => n,
                    _ => 0,
                };
                match held.first_mut() {
                    Some(ScalarValue::Int64(Some(n))) => *n = n.saturating_add(add),
                    _ => held.push(ScalarValue::Int64(Some(add))),
                }
            }
            Kind::Multimap => held.push(v),
        }
        Ok(())
    }

    /// Takes approx_most_frequent's bucket count from its first non-NULL value.
    fn take_buckets(&mut self, b: &ArrayRef) -> Result<()> {
        if self.buckets.is_some() {
            return Ok(());
        }
        let b = cast(b, &DataType::Int64)?;
        if let Some(n) = b.as_primitive::<Int64Type>().iter().flatten().next() {
            if n < 1 {
                return Err(datafusion::error::DataFusionError::Execution(format!(
                    "approx_most_frequent: buckets must be at least 1, not {n}"
                )));
            }
            self.buckets = Some(n);
        }
        Ok(())
    }

    /// The positions of the `buckets` keys with the highest counts, the highest first (the
    /// first seen among equal counts).
    fn most_frequent(&self) -> Vec<usize> {
        let count = |vs: &Vec<ScalarValue>| match vs.first() {
            Some(ScalarValue::Int64(Some(n))) => *n,
            _ => 0,
        };
        let mut order: Vec<usize> = (0..self.keys.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(count(&self.values[i])));
        order.truncate(usize::try_from(self.buckets.unwrap_or(i64::MAX)).unwrap_or(usize::MAX));
        order
    }

    /// The state's lists: every key, and beside it its value or count (`multimap_agg`: each
    /// key once per value).
    fn pairs(&self) -> (Vec<ScalarValue>, Vec<ScalarValue>) {
        let (mut ks, mut vs) = (Vec::new(), Vec::new());
        for (k, held) in self.keys.iter().zip(&self.values) {
            for v in held {
                ks.push(k.clone());
                vs.push(v.clone());
            }
        }
        (ks, vs)
    }
}

impl Accumulator for MapAcc {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        if self.kind == Kind::Union {
            // Each map's entries, NULL maps left out.
            let Some(maps) = values.first().and_then(|m| m.as_map_opt()) else {
                return Ok(());
            };
            for r in 0..maps.len() {
                if maps.is_null(r) {
                    continue;
                }
                let entries = maps.value(r);
                for i in 0..entries.len() {
                    self.offer(
                        ScalarValue::try_from_array(entries.column(0), i)?,
                        ScalarValue::try_from_array(entries.column(1), i)?,
                    )?;
                }
            }
            return Ok(());
        }
        let (keys, values) = if self.kind == Kind::MostFrequent {
            if let Some(b) = values.first() {
                self.take_buckets(b)?;
            }
            (values.get(1), None)
        } else {
            (values.first(), values.get(1))
        };
        let Some(keys) = keys else {
            return Ok(());
        };
        for i in 0..keys.len() {
            let k = ScalarValue::try_from_array(keys, i)?;
            let v = match (self.kind, values) {
                (Kind::Histogram | Kind::MostFrequent, _) => ScalarValue::Int64(Some(1)),
                (_, Some(vs)) => ScalarValue::try_from_array(vs, i)?,
                (_, None) => ScalarValue::Null,
            };
            self.offer(k, v)?;
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let (keys, values) = match states {
            [keys, values] => (keys, values),
            [keys, values, buckets] => {
                self.take_buckets(buckets)?;
                (keys, values)
            }
            _ => return Ok(()),
        };
        let (keys, values) = (keys.as_list::<i32>(), values.as_list::<i32>());
        for r in 0..keys.len() {
            if keys.is_null(r) || values.is_null(r) {
                continue;
            }
            let (ks, vs) = (keys.value(r), values.value(r));
            for i in 0..ks.len().min(vs.len()) {
                self.offer(
                    ScalarValue::try_from_array(&ks, i)?,
                    ScalarValue::try_from_array(&vs, i)?,
                )?;
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let (ks, vs) = self.pairs();
        let mut state = vec![
            ScalarValue::List(ScalarValue::new_list_nullable(&ks, &self.key_type)),
            ScalarValue::List(ScalarValue::new_list_nullable(&vs, &self.value_type)),
        ];
        if self.kind == Kind::MostFrequent {
            state.push(ScalarValue::Int64(self.buckets));
        }
        Ok(state)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if self.keys.is_empty() {
            return ScalarValue::try_from(&self.out);
        }
        // The keys shown, in order (the state itself stays whole: a window may add rows after).
        let shown: Vec<usize> = if self.kind == Kind::MostFrequent {
            self.most_frequent()
        } else {
            (0..self.keys.len()).collect()
        };
        let values: Vec<ScalarValue> = shown
            .iter()
            .map(|&i| {
                let vs = &self.values[i];
                match self.kind {
                    Kind::Multimap => {
                        ScalarValue::List(ScalarValue::new_list_nullable(vs, &self.value_type))
                    }
                    _ => vs.first().cloned().unwrap_or(ScalarValue::Null),
                }
            })
            .collect();
        let keys = ScalarValue::iter_to_array(shown.iter().map(|&i| self.keys[i].clone()))?;
        let values = if values.is_empty() {
            datafusion::arrow::array::new_empty_array(&self.value_type)
        } else {
            ScalarValue::iter_to_array(values)?
        };
        let map = super::map::assemble(&self.out, &keys, &values, vec![shown.len()], vec![true])?;
        ScalarValue::try_from_array(&map, 0)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.keys.iter().map(ScalarValue::size).sum::<usize>()
            + self
                .values
                .iter()
                .flatten()
                .map(ScalarValue::size)
                .sum::<usize>()
    }
}
