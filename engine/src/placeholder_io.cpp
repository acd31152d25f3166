// replaced by the shard sources
