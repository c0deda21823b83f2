// The broker: request handlers over topics, producer state and the group coordinator.
