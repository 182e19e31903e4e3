package io.soma.streams.bench;

import io.soma.streams.schemas.TopicProvisioner;

/** A benchmark-only topic (the copy baseline's target), plain delete retention. */
record ScratchTopic(String name) implements TopicProvisioner.TopicSpec {
    @Override
    public boolean compacted() {
        return false;
    }
}
