//! Collector: drives kubectl and writes aksbundle/v1 bundles.
