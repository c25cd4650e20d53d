//! How the commands print their results.

use clap::ValueEnum;
use comfy_table::{
    presets::NOTHING, CellAlignment, ColumnConstraint, ContentArrangement, Row, Table,
    TableComponent, Width,
};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

/// Spaces between two columns.
const GAP: u16 = 2;

/// The layout of a table beyond its cells.
#[derive(Debug, Default)]
pub struct Layout<'a> {
    /// Column titles (None: no header line).
    pub header: Option<&'a [&'a str]>,
    /// Right-aligned (numeric) columns, by index.
    pub right: &'a [usize],
    /// The most characters a column shows: `(index, characters)`.
    pub max: &'a [(usize, u16)],
    /// The widest a line may be (None: as wide as the content).
    pub width: Option<u16>,
}

/// Renders `rows` in the CLI's one table style: no borders, a rule under the header, columns
/// two spaces apart, no trailing blanks. Each row stays on one line: a value longer than its
/// column allows is cut, ending in `…`.
pub fn render<I>(layout: &Layout<'_>, rows: I) -> String
where
    I: IntoIterator<Item = Vec<String>>,
{
    let mut table = Table::new();
    table
        .load_preset(NOTHING)
        .set_style(TableComponent::HeaderLines, '-')
        .set_truncation_indicator("…")
        // Dynamic: the column limits are then exact (content width plus padding).
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(layout.width.unwrap_or(u16::MAX));
    if let Some(header) = layout.header {
        table.set_header(header.to_vec());
    }
    for cells in rows {
        let mut row = Row::from(cells);
        row.max_height(1);
        table.add_row(row);
    }
    for (i, column) in table.column_iter_mut().enumerate() {
        // The gap goes before each column but the first, so nothing trails the last one.
        let padding = if i == 0 { (0, 0) } else { (GAP, 0) };
        column.set_padding(padding);
        if layout.right.contains(&i) {
            column.set_cell_alignment(CellAlignment::Right);
        }
        if let Some(&(_, max)) = layout.max.iter().find(|(c, _)| *c == i) {
            column.set_constraint(ColumnConstraint::UpperBoundary(Width::Fixed(
                max + padding.0 + padding.1,
            )));
        }
    }
    table.trim_fmt()
}
