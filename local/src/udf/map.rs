//! Trino's map functions that DataFusion lacks (`map_concat`, `map_from_entries`,
//! `multimap_from_entries`, `array_histogram`), and what every function that makes a map needs: its Arrow type and
//! the map assembled from flat keys and values.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, ListArray, MapArray, StructArray, UInt32Array,
};
use datafusion::arrow::buffer::{NullBuffer, OffsetBuffer};
use datafusion::arrow::compute::{cast, concat, take};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::ScalarUDF;

use super::func::Func;
use super::{exec_err, index};

/// The functions.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        Func::new("map_concat", 1..=usize::MAX, returns_first_map, map_concat).udf(),
        Func::new(
            "map_from_entries",
            1..=1,
            returns_entry_map,
            map_from_entries,
        )
        .udf(),
        Func::new(
            "multimap_from_entries",
            1..=1,
            returns_multimap,
            multimap_from_entries,
        )
        .udf(),
        Func::new("array_histogram", 1..=1, returns_histogram, array_histogram).udf(),
    ]
}

/// A map from the array's elements to counts.
fn returns_histogram(types: &[DataType]) -> Result<DataType> {
    match types.first() {
        Some(DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _)) => {
            Ok(map_type(f.data_type(), &DataType::Int64))
        }
        _ => Err(DataFusionError::Plan(
            "Unexpected parameters for function array_histogram: an array is expected".into(),
        )),
    }
}

/// `array_histogram(a)`: each distinct non-NULL element with the number of times it occurs, in
/// order of first occurrence.
fn array_histogram(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [a] = args else {
        return Err(exec_err("array_histogram takes an array"));
    };
    let out = returns_histogram(&[a.data_type().clone()])?;
    let lists = cast(a, &super::as_list("array_histogram", a.data_type())?)?;
    let lists = lists.as_list::<i32>();
    let (mut keys, mut counts, mut lengths, mut valid) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in 0..lists.len() {
        if lists.is_null(r) {
            lengths.push(0);
            valid.push(false);
            continue;
        }
        let items = lists.value(r);
        let mut slot: HashMap<ScalarValue, usize> = HashMap::new();
        let first = keys.len();
        for i in 0..items.len() {
            if items.is_null(i) {
                continue;
            }
            let k = ScalarValue::try_from_array(&items, i)?;
            if let Some(&at) = slot.get(&k) {
                counts[at] += 1i64;
            } else {
                slot.insert(k.clone(), keys.len());
                keys.push(k);
                counts.push(1i64);
            }
        }
        lengths.push(keys.len() - first);
        valid.push(true);
    }
    let (key_field, _) = entries("array_histogram", &out)?;
    let key_type = key_field.data_type().clone();
    let keys = if keys.is_empty() {
        datafusion::arrow::array::new_empty_array(&key_type)
    } else {
        ScalarValue::iter_to_array(keys)?
    };
    let counts: ArrayRef = Arc::new(datafusion::arrow::array::Int64Array::from(counts));
    assemble(&out, &keys, &counts, lengths, valid)
}

/// A map's key and value fields.
pub fn entries(name: &str, t: &DataType) -> Result<(FieldRef, FieldRef)> {
    if let DataType::Map(e, _) = t {
        if let DataType::Struct(fields) = e.data_type() {
            if let [k, v] = fields.iter().collect::<Vec<_>>().as_slice() {
                return Ok((Arc::clone(k), Arc::clone(v)));
            }
        }
    }
    Err(DataFusionError::Plan(format!(
        "Unexpected parameters ({t}) for function {name}: a map is expected"
    )))
}

/// The map type with these key and value types, as Arrow's `MapBuilder` names its fields.
pub fn map_type(key: &DataType, value: &DataType) -> DataType {
    let fields = Fields::from(vec![
        Field::new("key", key.clone(), false),
        Field::new("value", value.clone(), true),
    ]);
    DataType::Map(
        Arc::new(Field::new("entries", DataType::Struct(fields), false)),
        false,
    )
}

/// The map of type `t` whose row `r` holds the next `lengths[r]` of the flat `keys` and
/// `values` (NULL where `valid[r]` is false).
pub fn assemble(
    t: &DataType,
    keys: &ArrayRef,
    values: &ArrayRef,
    lengths: Vec<usize>,
    valid: Vec<bool>,
) -> Result<ArrayRef> {
    let DataType::Map(entry, sorted) = t else {
        return Err(exec_err(format!("expected a map type, got {t}")));
    };
    let DataType::Struct(fields) = entry.data_type() else {
        return Err(exec_err(format!("expected map entries, got {entry}")));
    };
    let columns = [keys, values]
        .iter()
        .zip(fields.iter())
        .map(|(c, f)| cast(c, f.data_type()))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let entries = StructArray::try_new(fields.clone(), columns, None)?;
    Ok(Arc::new(MapArray::try_new(
        Arc::clone(entry),
        OffsetBuffer::from_lengths(lengths),
        entries,
        Some(NullBuffer::from(valid)),
        *sorted,
    )?))
}

fn returns_first_map(types: &[DataType]) -> Result<DataType> {
    // Maps of other key or value types would be cast, silently losing what does not fit.
    let kinds = |t: &DataType| {
        entries("map_concat", t)
            .map(|(k, v)| (k.data_type().clone(), v.data_type().clone()))
            .ok()
    };
    let first = types.first().and_then(kinds);
    if types
        .iter()
        .any(|t| *t != DataType::Null && kinds(t) != first)
    {
        return Err(DataFusionError::Plan(format!(
            "Unexpected parameters ({}) for function map_concat: maps of one key and value type \
             are expected",
            types
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    match types.first() {
        Some(t @ DataType::Map(..)) => Ok(t.clone()),
        Some(t) => Err(DataFusionError::Plan(format!(
            "Unexpected parameters ({t}) for function map_concat: maps are expected"
        ))),
        None => Err(exec_err("map_concat takes maps")),
    }
}

/// `map_concat(m1, m2, ...)`: every entry of the maps; a key in several takes its value from
/// the last (at its first position). NULL if any map is NULL, as in Trino.
fn map_concat(args: &[ArrayRef]) -> Result<ArrayRef> {
    let Some(first) = args.first() else {
        return Err(exec_err("map_concat takes maps"));
    };
    let t = first.data_type().clone();
    let maps = args
        .iter()
        .map(|a| cast(a, &t))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let maps: Vec<&MapArray> = maps
        .iter()
        .map(|m| {
            m.as_map_opt()
                .ok_or_else(|| exec_err(format!("map_concat expects maps, got {}", m.data_type())))
        })
        .collect::<Result<_>>()?;
    // All maps' entries as one flat key and value array; `base[i]` is where map i's start.
    let all_keys: Vec<&dyn Array> = maps.iter().map(|m| m.keys().as_ref()).collect();
    let all_values: Vec<&dyn Array> = maps.iter().map(|m| m.values().as_ref()).collect();
    let (keys, values) = (concat(&all_keys)?, concat(&all_values)?);
    let mut base = Vec::with_capacity(maps.len());
    let mut at = 0usize;
    for m in &maps {
        base.push(at);
        at = at.saturating_add(m.keys().len());
    }
    let rows = first.len();
    let (mut picks, mut lengths, mut valid) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..rows {
        if maps.iter().any(|m| m.is_null(r)) {
            lengths.push(0);
            valid.push(false);
            continue;
        }
        let mut row: Vec<u32> = Vec::new();
        let mut slot: HashMap<ScalarValue, usize> = HashMap::new();
        for (m, b) in maps.iter().zip(&base) {
            let o = m.value_offsets();
            let (s, e) = (o[r].max(0) as usize, o[r + 1].max(0) as usize);
            for j in s..e {
                let flat = index(b + j)?;
                let k = ScalarValue::try_from_array(&keys, b + j)?;
                if let Some(&p) = slot.get(&k) {
                    row[p] = flat;
                } else {
                    slot.insert(k, row.len());
                    row.push(flat);
                }
            }
        }
        lengths.push(row.len());
        valid.push(true);
        picks.extend(row);
    }
    let picks = UInt32Array::from(picks);
    assemble(
        &t,
        &take(&keys, &picks, None)?,
        &take(&values, &picks, None)?,
        lengths,
        valid,
    )
}

/// The key and value types of an array of two-field rows.
fn entry_types(name: &str, t: &DataType) -> Result<(DataType, DataType)> {
    if let DataType::List(item) = t {
        if let DataType::Struct(fields) = item.data_type() {
            if let [k, v] = fields.iter().collect::<Vec<_>>().as_slice() {
                return Ok((k.data_type().clone(), v.data_type().clone()));
            }
        }
    }
    Err(DataFusionError::Plan(format!(
        "Unexpected parameters ({t}) for function {name}: an array of ROW(key, value) is expected"
    )))
}

fn returns_entry_map(types: &[DataType]) -> Result<DataType> {
    let t = types.first().unwrap_or(&DataType::Null);
    let (k, v) = entry_types("map_from_entries", t)?;
    Ok(map_type(&k, &v))
}

fn returns_multimap(types: &[DataType]) -> Result<DataType> {
    let t = types.first().unwrap_or(&DataType::Null);
    let (k, v) = entry_types("multimap_from_entries", t)?;
    Ok(map_type(&k, &DataType::new_list(v, true)))
}

/// The entries of each row of an array of ROW(key, value): the flat keys and values, and each
/// row's entries as ranges of them; Trino's errors for a NULL entry or key.
struct Entries {
    keys: ArrayRef,
    values: ArrayRef,
    lists: ListArray,
}

impl Entries {
    fn of(name: &str, a: &ArrayRef) -> Result<Self> {
        let lists = a
            .as_list_opt::<i32>()
            .ok_or_else(|| exec_err(format!("{name} expects an array, got {}", a.data_type())))?
            .clone();
        let rows: &StructArray = lists
            .values()
            .as_struct_opt()
            .ok_or_else(|| exec_err(format!("{name} expects an array of ROW(key, value)")))?;
        let [keys, values] = rows.columns() else {
            return Err(exec_err(format!(
                "{name} expects an array of ROW(key, value)"
            )));
        };
        for r in 0..lists.len() {
            if lists.is_null(r) {
                continue;
            }
            let o = lists.value_offsets();
            for j in o[r].max(0) as usize..o[r + 1].max(0) as usize {
                if rows.is_null(j) {
                    return Err(exec_err("map entry cannot be null"));
                }
                if keys.is_null(j) {
                    return Err(exec_err("map key cannot be null"));
                }
            }
        }
        Ok(Self {
            keys: Arc::clone(keys),
            values: Arc::clone(values),
            lists,
        })
    }

    /// Row `r`'s entries, in order, as `(key, position in the flat arrays)`.
    fn row(&self, r: usize) -> Result<Vec<(ScalarValue, usize)>> {
        let o = self.lists.value_offsets();
        (o[r].max(0) as usize..o[r + 1].max(0) as usize)
            .map(|j| Ok((ScalarValue::try_from_array(&self.keys, j)?, j)))
            .collect()
    }
}

/// `map_from_entries(ARRAY[ROW(k, v), ...])`: a repeated key is Trino's error.
fn map_from_entries(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [a] = args else {
        return Err(exec_err(
            "map_from_entries takes an array of ROW(key, value)",
        ));
    };
    let t = returns_entry_map(&[a.data_type().clone()])?;
    let e = Entries::of("map_from_entries", a)?;
    let (mut picks, mut lengths, mut valid) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..e.lists.len() {
        if e.lists.is_null(r) {
            lengths.push(0);
            valid.push(false);
            continue;
        }
        let row = e.row(r)?;
        let mut seen = std::collections::HashSet::new();
        for (k, j) in &row {
            if !seen.insert(k) {
                return Err(exec_err(format!(
                    "Duplicate map keys ({k}) are not allowed"
                )));
            }
            picks.push(index(*j)?);
        }
        lengths.push(row.len());
        valid.push(true);
    }
    let picks = UInt32Array::from(picks);
    assemble(
        &t,
        &take(&e.keys, &picks, None)?,
        &take(&e.values, &picks, None)?,
        lengths,
        valid,
    )
}

/// `multimap_from_entries(ARRAY[ROW(k, v), ...])`: each key once, with the array of its values
/// in order.
fn multimap_from_entries(args: &[ArrayRef]) -> Result<ArrayRef> {
    let [a] = args else {
        return Err(exec_err(
            "multimap_from_entries takes an array of ROW(key, value)",
        ));
    };
    let t = returns_multimap(&[a.data_type().clone()])?;
    let e = Entries::of("multimap_from_entries", a)?;
    // Keys: the first position of each; values: grouped by key, as lists.
    let (mut key_picks, mut value_picks, mut list_lengths) = (Vec::new(), Vec::new(), Vec::new());
    let (mut lengths, mut valid) = (Vec::new(), Vec::new());
    for r in 0..e.lists.len() {
        if e.lists.is_null(r) {
            lengths.push(0);
            valid.push(false);
            continue;
        }
        let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut slot: HashMap<ScalarValue, usize> = HashMap::new();
        for (k, j) in e.row(r)? {
            if let Some(&g) = slot.get(&k) {
                groups[g].1.push(j);
            } else {
                slot.insert(k, groups.len());
                groups.push((j, vec![j]));
            }
        }
        lengths.push(groups.len());
        valid.push(true);
        for (first, members) in groups {
            key_picks.push(index(first)?);
            list_lengths.push(members.len());
            for j in members {
                value_picks.push(index(j)?);
            }
        }
    }
    let values = take(&e.values, &UInt32Array::from(value_picks), None)?;
    let lists: ArrayRef = Arc::new(ListArray::try_new(
        Arc::new(Field::new_list_field(values.data_type().clone(), true)),
        OffsetBuffer::from_lengths(list_lengths),
        values,
        None,
    )?);
    assemble(
        &t,
        &take(&e.keys, &UInt32Array::from(key_picks), None)?,
        &lists,
        lengths,
        valid,
    )
}
