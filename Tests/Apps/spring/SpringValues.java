// Writes the hash fields of a Spring Session as Spring Session's default serializer
// (JdkSerializationRedisSerializer: ObjectOutputStream) writes them, one "field hex" line each.
// Spring itself is not packaged for this machine; the values are Java's own serialization.
import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;

public class SpringValues {
    /** Stands for Spring Security's SecurityContextImpl: an object with fields, read by class name. */
    static class SecurityContext implements Serializable {
        private static final long serialVersionUID = 1L;
        String principal = "alice";
        List<String> authorities = new ArrayList<>(List.of("ROLE_USER"));
        boolean authenticated = true;
    }

    static String hex(Object o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) { out.writeObject(o); }
        StringBuilder s = new StringBuilder();
        for (byte b : bytes.toByteArray()) s.append(String.format("%02x", b));
        return s.toString();
    }

    public static void main(String[] args) throws Exception {
        long created = Long.parseLong(args[0]);
        HashMap<String, Object> prefs = new HashMap<>();
        prefs.put("theme", "dark");
        System.out.println("creationTime " + hex(created));
        System.out.println("lastAccessedTime " + hex(created + 60_000L));
        System.out.println("maxInactiveInterval " + hex(1800));
        System.out.println("sessionAttr:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME " + hex("alice"));
        System.out.println("sessionAttr:ip " + hex("10.1.2.3"));
        System.out.println("sessionAttr:user_agent " + hex("Mozilla/5.0"));
        System.out.println("sessionAttr:SPRING_SECURITY_CONTEXT " + hex(new SecurityContext()));
        System.out.println("sessionAttr:prefs " + hex(prefs));
    }
}
