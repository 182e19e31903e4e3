package io.soma.streams.topologies;

import io.soma.streams.devstack.LocalStack;
import io.soma.streams.schemas.TopicProvisioner;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistrar;
import io.soma.streams.schemas.serde.SchemaRegistryClient;


/** The test JVM's shared real stack, ready for the apps: every value schema registered, every topic listed. */
public final class ProvisionedStack {
    private static boolean provisioned;

    private ProvisionedStack() {
    }

    public static synchronized LocalStack shared() {
        LocalStack stack = LocalStack.shared();
        if (!provisioned) {
            new SchemaRegistrar(new SchemaRegistryClient(stack.schemaRegistryUrl())).registerAll(Topics.valueSchemas());
            // returns once the broker lists the topics, so an app started next finds its sources
            TopicProvisioner.ensure(stack.bootstrapServers(), Topics.provisioned(), 3, (short) 1);
            provisioned = true;
        }
        return stack;
    }
}
