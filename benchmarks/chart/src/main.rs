//! `qps-chart IN.tsv OUT.svg [TITLE]`: reads `system<TAB>concurrency<TAB>qps<TAB>p50_us<TAB>p99_us`
//! (a header line, then one row per system and concurrency, as `benchmarks/rpc/run.sh` writes it)
//! and draws QPS against concurrency, one line per system, concurrency on a log axis.
//! SVG through plotters' SVG backend without its font features: no system font is read, the
//! text is left to the viewer to render.

use plotters::prelude::*;
use std::collections::BTreeMap;

type Series = BTreeMap<String, Vec<(u32, f64)>>;

fn read(path: &str) -> Result<Series, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .ok_or(format!("{path}: empty"))?
        .split('\t')
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or(format!("{path}: no `{name}` column"))
    };
    let (sys, conc, qps) = (col("system")?, col("concurrency")?, col("qps")?);
    let mut series = Series::new();
    for (n, line) in lines.enumerate() {
        let f: Vec<&str> = line.split('\t').collect();
        let bad = || format!("{path}:{}: bad row `{line}`", n + 2);
        let c: u32 = f.get(conc).and_then(|v| v.parse().ok()).ok_or_else(bad)?;
        let q: f64 = f.get(qps).and_then(|v| v.parse().ok()).ok_or_else(bad)?;
        if c == 0 || !q.is_finite() || q < 0.0 {
            return Err(bad());
        }
        let name = f.get(sys).ok_or_else(bad)?.to_string();
        series.entry(name).or_default().push((c, q));
    }
    if series.is_empty() {
        return Err(format!("{path}: no rows"));
    }
    for points in series.values_mut() {
        points.sort_by_key(|p| p.0);
    }
    Ok(series)
}

fn draw(series: &Series, out: &str, title: &str) -> Result<(), Box<dyn std::error::Error>> {
    let max_c = series
        .values()
        .flatten()
        .map(|p| p.0)
        .max()
        .unwrap_or(1)
        .max(2);
    let max_q = series
        .values()
        .flatten()
        .map(|p| p.1)
        .fold(0.0, f64::max)
        .max(1.0);
    let root = SVGBackend::new(out, (800, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((1u32..max_c).log_scale(), 0.0..max_q * 1.1)?;
    chart
        .configure_mesh()
        .x_desc("concurrency (requests in flight)")
        .y_desc("QPS")
        .y_label_formatter(&|v| format!("{:.0}k", v / 1000.0))
        .draw()?;
    for (i, (name, points)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))?
            .label(name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: qps-chart IN.tsv OUT.svg [TITLE]");
        std::process::exit(2);
    }
    let title = args.get(3).map_or("QPS vs concurrency", |s| s.as_str());
    let series = read(&args[1]).unwrap_or_else(|e| {
        eprintln!("qps-chart: {e}");
        std::process::exit(1)
    });
    if let Err(e) = draw(&series, &args[2], title) {
        eprintln!("qps-chart: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tsv(name: &str, text: &str) -> String {
        let path =
            std::env::temp_dir().join(format!("qps-chart-{}-{name}.tsv", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn reads_the_sample_sorted_by_concurrency() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/sample.tsv");
        let s = read(path).unwrap();
        assert_eq!(s.len(), 4);
        for points in s.values() {
            let c: Vec<u32> = points.iter().map(|p| p.0).collect();
            assert_eq!(c, [1, 10, 100, 400]);
        }
    }

    #[test]
    fn columns_found_by_name_and_bad_rows_rejected() {
        let p = tsv("order", "qps\tsystem\tconcurrency\n5\tb\t10\n7\ta\t1\n");
        let s = read(&p).unwrap();
        assert_eq!(s["a"], [(1, 7.0)]);
        assert_eq!(s["b"], [(10, 5.0)]);
        assert!(read(&tsv("bad", "system\tconcurrency\tqps\nx\t0\t5\n")).is_err());
        assert!(read(&tsv("nan", "system\tconcurrency\tqps\nx\t1\tNaN\n")).is_err());
        assert!(read(&tsv("nocol", "system\tqps\nx\t5\n")).is_err());
        assert!(read(&tsv("empty", "system\tconcurrency\tqps\n")).is_err());
    }

    #[test]
    fn draws_an_svg() {
        let s = read(concat!(env!("CARGO_MANIFEST_DIR"), "/sample.tsv")).unwrap();
        let out = std::env::temp_dir().join(format!("qps-chart-{}.svg", std::process::id()));
        draw(&s, out.to_str().unwrap(), "t").unwrap();
        let svg = std::fs::read_to_string(&out).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("kit thrift") && svg.contains("tonic"));
    }
}
