// Health check for the local Kafka broker, run by deploy/local/stack with Java's single-file source
// launcher: `java -cp @kafka.classpath KafkaHealth.java <bootstrap> <timeout-seconds>`.
//
// An open port is not enough: a fresh KRaft node accepts connections before its group and transaction
// coordinators have loaded, and clients then see COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS.
// Describing a consumer group and a transactional id makes the broker create and load
// __consumer_offsets and __transaction_state, so once both answer, groups and transactions work.
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.TransactionalIdNotFoundException;

public class KafkaHealth {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    String last = "no answer";
    try (Admin admin = Admin.create(props)) {
      while (System.nanoTime() < deadline) {
        try {
          admin.describeCluster().clusterId().get(10, TimeUnit.SECONDS);
          groupCoordinatorReady(admin);
          transactionCoordinatorReady(admin);
          System.out.println("kafka healthy: cluster, group coordinator and transaction coordinator answer");
          return;
        } catch (Exception e) {
          Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
          last = cause.getClass().getSimpleName() + ": " + cause.getMessage();
          Thread.sleep(500);
        }
      }
    }
    System.err.println("kafka not healthy: " + last);
    System.exit(1);
  }

  private static void groupCoordinatorReady(Admin admin) throws Exception {
    try {
      // an unknown group answers with state DEAD (classic) or GroupIdNotFound, both only once loaded
      admin.describeConsumerGroups(List.of("dw-stack-health")).all().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof GroupIdNotFoundException)) throw e;
    }
  }

  private static void transactionCoordinatorReady(Admin admin) throws Exception {
    try {
      admin.describeTransactions(List.of("dw-stack-health")).all().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TransactionalIdNotFoundException)) throw e;
    }
  }
}
