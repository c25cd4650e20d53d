//! Trino's `numeric_histogram(buckets, value[, weight])`: an approximate histogram of at most
//! `buckets` buckets, each a centroid (its values' weighted mean) with its total weight, built as
//! Trino's `NumericHistogram` builds it (Ben-Haim and Tom-Tov's streaming histogram): values are
//! buffered, and when the buffer fills, equal values are merged and then the adjacent pair
//! whose merge costs least, `(v1 - v2)^2 * w1 * w2 / (w1 + w2)`, until `buckets` remain. The
//! same steps in the same order give Trino's answer.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type};
use datafusion::error::Result;
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use datafusion::scalar::ScalarValue;

use super::exec_err;

/// How many values Trino buffers beyond `buckets` before it compacts.
const ENTRY_BUFFER_SIZE: usize = 100;

/// Java's `Double.compare`: `-0.0` before `0.0`, every NaN after everything.
fn java_cmp(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.total_cmp(&b),
    }
}

/// Values with weights, as Trino's `NumericHistogram` holds them.
#[derive(Debug, Clone, Default)]
struct Histogram {
    max_buckets: usize,
    values: Vec<f64>,
    weights: Vec<f64>,
}

/// One bucket in the merge: linked to its neighbours, valid until replaced.
#[derive(Debug, Clone, Copy)]
struct Entry {
    id: usize,
    value: f64,
    weight: f64,
    left: Option<usize>,
    right: Option<usize>,
    penalty: f64,
    valid: bool,
}

/// A queue slot: the least penalty first, then the lower id (Trino's `Entry.compareTo`).
#[derive(Debug, PartialEq)]
struct Slot {
    penalty: f64,
    id: usize,
    entry: usize,
}

impl Eq for Slot {}

impl Ord for Slot {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: BinaryHeap pops the greatest.
        java_cmp(other.penalty, self.penalty).then(other.id.cmp(&self.id))
    }
}

impl PartialOrd for Slot {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn penalty(v1: f64, w1: f64, v2: f64, w2: f64) -> f64 {
    let weight = w1 + w2;
    let squared_difference = (v1 - v2) * (v1 - v2);
    let proportions_product = (w1 * w2) / ((w1 + w2) * (w1 + w2));
    weight * squared_difference * proportions_product
}

impl Histogram {
    fn new(max_buckets: usize) -> Self {
        Self {
            max_buckets,
            ..Self::default()
        }
    }

    fn add(&mut self, value: f64, weight: f64) {
        self.values.push(value);
        self.weights.push(weight);
        if self.values.len() >= self.max_buckets.saturating_add(ENTRY_BUFFER_SIZE) {
            self.compact();
        }
    }

    /// Merges equal values, then the cheapest adjacent pairs until `max_buckets` remain.
    fn compact(&mut self) {
        self.merge_same_buckets();
        if self.values.len() > self.max_buckets {
            self.merge_buckets(self.max_buckets);
        }
    }

    /// Sorts by value and adds up the weights of equal values (`-0.0` and `0.0` are equal;
    /// NaNs never are).
    fn merge_same_buckets(&mut self) {
        let mut pairs: Vec<(f64, f64)> = self
            .values
            .iter()
            .copied()
            .zip(self.weights.iter().copied())
            .collect();
        pairs.sort_by(|a, b| java_cmp(a.0, b.0));
        let mut merged: Vec<(f64, f64)> = Vec::with_capacity(pairs.len());
        for (v, w) in pairs {
            match merged.last_mut() {
                Some(last) if last.0 == v => last.1 += w,
                _ => merged.push((v, w)),
            }
        }
        (self.values, self.weights) = merged.into_iter().unzip();
    }

    /// Trino's `mergeBuckets` over sorted, distinct values: the cheapest adjacent pair merges
    /// into its weighted mean until `target` buckets remain.
    fn merge_buckets(&mut self, target: usize) {
        let n = self.values.len();
        let mut entries: Vec<Entry> = Vec::with_capacity(n.saturating_mul(2));
        for i in 0..n {
            entries.push(Entry {
                id: i,
                value: self.values[i],
                weight: self.weights[i],
                left: i.checked_sub(1),
                right: (i + 1 < n).then_some(i + 1),
                penalty: f64::INFINITY,
                valid: true,
            });
        }
        let mut queue = BinaryHeap::with_capacity(n.saturating_mul(2));
        for i in 0..n {
            if let Some(r) = entries[i].right {
                entries[i].penalty = penalty(
                    entries[i].value,
                    entries[i].weight,
                    entries[r].value,
                    entries[r].weight,
                );
            }
            queue.push(Slot {
                penalty: entries[i].penalty,
                id: entries[i].id,
                entry: i,
            });
        }
        let mut count = n;
        while count > target {
            let Some(slot) = queue.pop() else { break };
            let current = entries[slot.entry];
            if !current.valid {
                continue;
            }
            let Some(r) = current.right else {
                // Only the last bucket has no right neighbour, and its penalty is infinite:
                // nothing is left to merge.
                break;
            };
            count -= 1;
            let right = entries[r];
            entries[r].valid = false;
            let weight = current.weight + right.weight;
            let value = (current.value * current.weight + right.value * right.weight) / weight;
            // The merged bucket keeps `current`'s id and takes `right`'s right neighbour.
            let merged = entries.len();
            let merged_penalty = right.right.map_or(f64::INFINITY, |rr| {
                penalty(value, weight, entries[rr].value, entries[rr].weight)
            });
            entries.push(Entry {
                id: current.id,
                value,
                weight,
                left: None,
                right: right.right,
                penalty: merged_penalty,
                valid: true,
            });
            if let Some(rr) = right.right {
                entries[rr].left = Some(merged);
            }
            queue.push(Slot {
                penalty: merged_penalty,
                id: current.id,
                entry: merged,
            });
            if let Some(l) = current.left {
                // The left neighbour's penalty changes: it is replaced by a copy beside the
                // merged bucket.
                entries[l].valid = false;
                let left = entries[l];
                let replaced = entries.len();
                let p = penalty(left.value, left.weight, value, weight);
                entries.push(Entry {
                    id: left.id,
                    value: left.value,
                    weight: left.weight,
                    left: left.left,
                    right: Some(merged),
                    penalty: p,
                    valid: true,
                });
                if let Some(ll) = left.left {
                    entries[ll].right = Some(replaced);
                }
                entries[merged].left = Some(replaced);
                queue.push(Slot {
                    penalty: p,
                    id: left.id,
                    entry: replaced,
                });
            }
        }
        let mut kept: Vec<(f64, f64)> = queue
            .into_iter()
            .map(|s| entries[s.entry])
            .filter(|e| e.valid)
            .map(|e| (e.value, e.weight))
            .collect();
        kept.sort_by(|a, b| java_cmp(a.0, b.0));
        (self.values, self.weights) = kept.into_iter().unzip();
    }

    /// Trino's `mergeWith`: both sets of buckets together, compacted to this one's size.
    fn merge_with(&mut self, values: &[f64], weights: &[f64]) {
        self.values.extend_from_slice(values);
        self.weights.extend_from_slice(weights);
        self.merge_same_buckets();
        if self.values.len() > self.max_buckets {
            self.merge_buckets(self.max_buckets);
        }
    }
}

/// The `numeric_histogram` aggregate.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct NumericHistogram {
    signature: Signature,
}

impl NumericHistogram {
    /// `numeric_histogram(buckets, value)` and `numeric_histogram(buckets, value, weight)`.
    pub fn new() -> Self {
        Self {
            signature: Signature::one_of(
                vec![
                    datafusion::logical_expr::TypeSignature::Any(2),
                    datafusion::logical_expr::TypeSignature::Any(3),
                ],
                Volatility::Immutable,
            ),
        }
    }
}

fn out_type() -> DataType {
    super::map::map_type(&DataType::Float64, &DataType::Float64)
}

impl AggregateUDFImpl for NumericHistogram {
    fn name(&self) -> &str {
        "numeric_histogram"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(out_type())
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let list = DataType::new_list(DataType::Float64, true);
        Ok(vec![
            Arc::new(Field::new(
                format!("{}[buckets]", args.name),
                DataType::Int64,
                true,
            )),
            Arc::new(Field::new(
                format!("{}[values]", args.name),
                list.clone(),
                true,
            )),
            Arc::new(Field::new(format!("{}[weights]", args.name), list, true)),
        ])
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        // DISTINCT is the wrapper's (`super::distinct`), which feeds each row once.
        debug_assert!(!args.is_distinct);
        Ok(Box::new(Acc(None)))
    }
}

/// `None` until the first row with a bucket count, a value and a weight.
#[derive(Debug)]
struct Acc(Option<Histogram>);

/// The bucket count as Trino checks it: at least 2, and an int.
fn bucket_count(n: i64) -> Result<usize> {
    if n < 2 {
        return Err(exec_err(
            "numeric_histogram bucket count must be greater than one",
        ));
    }
    i32::try_from(n)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| exec_err("numeric_histogram: bucket count out of range"))
}

impl Accumulator for Acc {
    fn update_batch(&mut self, args: &[ArrayRef]) -> Result<()> {
        let (Some(buckets), Some(values)) = (args.first(), args.get(1)) else {
            return Ok(());
        };
        let buckets = cast(buckets, &DataType::Int64)?;
        let buckets = buckets.as_primitive::<Int64Type>();
        let values = cast(values, &DataType::Float64)?;
        let values = values.as_primitive::<Float64Type>();
        let weights = args
            .get(2)
            .map(|w| cast(w, &DataType::Float64))
            .transpose()?;
        let weights = weights.as_ref().map(AsArray::as_primitive::<Float64Type>);
        for i in 0..values.len() {
            // Trino's arguments are not nullable: a row with a NULL is left out.
            if buckets.is_null(i) || values.is_null(i) || weights.is_some_and(|w| w.is_null(i)) {
                continue;
            }
            let weight = weights.map_or(1.0, |w| w.value(i));
            let h = match &mut self.0 {
                Some(h) => h,
                // The bucket count is read from the first row only, as in Trino.
                None => self
                    .0
                    .insert(Histogram::new(bucket_count(buckets.value(i))?)),
            };
            h.add(values.value(i), weight);
        }
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let [buckets, values, weights] = states else {
            return Ok(());
        };
        let buckets = cast(buckets, &DataType::Int64)?;
        let buckets = buckets.as_primitive::<Int64Type>();
        let (values, weights) = (values.as_list::<i32>(), weights.as_list::<i32>());
        for r in 0..buckets.len() {
            if buckets.is_null(r) || values.is_null(r) || weights.is_null(r) {
                continue;
            }
            let (vs, ws) = (values.value(r), weights.value(r));
            let (vs, ws) = (
                vs.as_primitive::<Float64Type>().values(),
                ws.as_primitive::<Float64Type>().values(),
            );
            if vs.len() != ws.len() {
                return Err(exec_err("numeric_histogram: malformed partial state"));
            }
            if let Some(h) = &mut self.0 {
                h.merge_with(vs, ws);
            } else {
                let mut h = Histogram::new(bucket_count(buckets.value(r))?);
                h.values = vs.to_vec();
                h.weights = ws.to_vec();
                self.0 = Some(h);
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let list = |v: &[f64]| {
            let items: Vec<ScalarValue> =
                v.iter().map(|x| ScalarValue::Float64(Some(*x))).collect();
            ScalarValue::List(ScalarValue::new_list_nullable(&items, &DataType::Float64))
        };
        Ok(match &mut self.0 {
            None => vec![
                ScalarValue::Int64(None),
                ScalarValue::List(ScalarValue::new_list_nullable(&[], &DataType::Float64)),
                ScalarValue::List(ScalarValue::new_list_nullable(&[], &DataType::Float64)),
            ],
            Some(h) => {
                // Trino compacts before it serialises a partial state.
                h.compact();
                let buckets = i64::try_from(h.max_buckets).unwrap_or(i64::MAX);
                vec![
                    ScalarValue::Int64(Some(buckets)),
                    list(&h.values),
                    list(&h.weights),
                ]
            }
        })
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let Some(h) = &mut self.0 else {
            return ScalarValue::try_from(&out_type());
        };
        h.compact();
        let keys: ArrayRef = Arc::new(datafusion::arrow::array::Float64Array::from(
            h.values.clone(),
        ));
        let values: ArrayRef = Arc::new(datafusion::arrow::array::Float64Array::from(
            h.weights.clone(),
        ));
        let map = super::map::assemble(
            &out_type(),
            &keys,
            &values,
            vec![h.values.len()],
            vec![true],
        )?;
        ScalarValue::try_from_array(&map, 0)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.0.as_ref().map_or(0, |h| {
                (h.values.capacity() + h.weights.capacity()) * std::mem::size_of::<f64>()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The merge, step by step by hand: 1, 2 and 10 with unit weights into two buckets merges
    /// 1 and 2 (penalty 0.5 against 32), giving 1.5 (weight 2) and 10 (weight 1).
    #[test]
    fn merges_the_cheapest_pair_first() {
        let mut h = Histogram::new(2);
        for v in [10.0, 1.0, 2.0] {
            h.add(v, 1.0);
        }
        h.compact();
        assert_eq!(h.values, vec![1.5, 10.0]);
        assert_eq!(h.weights, vec![2.0, 1.0]);
    }

    #[test]
    fn equal_values_merge_before_anything_else() {
        let mut h = Histogram::new(3);
        for v in [5.0, -0.0, 0.0, 5.0, 7.0] {
            h.add(v, 2.0);
        }
        h.compact();
        assert_eq!(h.values, vec![-0.0, 5.0, 7.0]);
        assert_eq!(h.weights, vec![4.0, 4.0, 2.0]);
    }

    #[test]
    fn a_full_buffer_compacts_as_it_goes() {
        let mut h = Histogram::new(2);
        for i in 0..1_000 {
            h.add(f64::from(i), 1.0);
            assert!(h.values.len() < 2 + ENTRY_BUFFER_SIZE);
        }
        h.compact();
        assert_eq!(h.values.len(), 2);
        assert_eq!(h.weights.iter().sum::<f64>(), 1_000.0);
    }
}
