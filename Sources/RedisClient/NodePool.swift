import SessionBasics

/// Opens a connection to a node: real sockets by default, scripted transports in tests.
/// The flag says whether to `SELECT` the database (standalone servers only).
public typealias Connector = (RedisEndpoint.Address, ConnectionOptions, _ selectDatabase: Bool) throws -> Connection

/// The open connections to every node, two per node: one for key commands and one that
/// carries SCAN only, so a page can be in flight while key commands run.
///
/// A connection that broke is replaced on its next use; host names are resolved again then,
/// so a replaced node is found under its name.
final class NodePool {
    /// Credentials, TLS, deadlines and the cancellation, for every connection.
    let options: ConnectionOptions
    private let connector: Connector
    /// Whether new connections `SELECT` the database (not in a cluster, which has only database 0).
    var selectsDatabase: Bool
    private var commandConnections: [RedisEndpoint.Address: Connection] = [:]
    private var scanConnections: [RedisEndpoint.Address: Connection] = [:]

    init(options: ConnectionOptions, connector: @escaping Connector, selectsDatabase: Bool) {
        self.options = options
        self.connector = connector
        self.selectsDatabase = selectsDatabase
    }

    /// The connection to `address` for key commands, opened (or reopened after a failure) on demand.
    func connection(_ address: RedisEndpoint.Address) throws -> Connection {
        try pooled(&commandConnections, address)
    }

    /// The connection to `address` that carries SCAN.
    func scanConnection(_ address: RedisEndpoint.Address) throws -> Connection {
        try pooled(&scanConnections, address)
    }

    /// Takes an already open connection (the seed) as `address`'s command connection.
    func adopt(_ connection: Connection) {
        commandConnections[connection.address] = connection
    }

    private func pooled(_ pool: inout [RedisEndpoint.Address: Connection], _ address: RedisEndpoint.Address) throws -> Connection {
        if let c = pool[address], !c.isBroken { return c }
        pool[address] = nil
        let c = try connector(address, options, selectsDatabase)
        pool[address] = c
        return c
    }
}
