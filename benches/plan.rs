//! How long validation and planning take for the shared specs: `cargo bench --bench plan`.

use criterion::{Criterion, criterion_group, criterion_main};
use vod_pipeline::VodPipeline;

fn specs(c: &mut Criterion) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/specs");
    for spec in ["mediastore.toml", "s3-origin.toml"] {
        let text = std::fs::read_to_string(format!("{dir}/{spec}")).expect("spec exists");
        c.bench_function(&format!("load+validate {spec}"), |b| {
            b.iter(|| {
                VodPipeline::from_toml_str(std::hint::black_box(&text), dir).expect("valid spec")
            })
        });
        let pipeline = VodPipeline::from_toml_str(&text, dir).expect("valid spec");
        c.bench_function(&format!("plan {spec}"), |b| {
            b.iter(|| std::hint::black_box(&pipeline).plan())
        });
        let plan = pipeline.plan();
        c.bench_function(&format!("plan json {spec}"), |b| {
            b.iter(|| std::hint::black_box(&plan).to_json())
        });
    }
}

criterion_group!(benches, specs);
criterion_main!(benches);
